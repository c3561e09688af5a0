"""Sending an invoice by e-mail: the mail goes out first, then it is recorded.

SMTP is slow and can hang for `SMTP_TIMEOUT`; it must never run while the invoice row is locked
(that would stall the payment handlers and the number counter behind it). So:
1. what cannot be sent is refused before anything goes out (nothing changes): a draft or a void
   invoice, a customer with no known e-mail (after a short wait for CustomerCreated);
2. `_deliver`: with no transaction open, render the PDF, build the message (hosted link in the
   body, PDF attached) and hand it to the mailer (SMTP, or the `.eml` sink); a refusal is a 502;
3. `_record`: in the request's transaction, lock the invoice, add the `invoice_sends` row, set
   `sentAt`/`sentTo` and write InvoiceSent to the outbox.
A crash between 2 and 3 leaves a mail sent but not recorded; the client's retry (same
`Idempotency-Key` or not) sends it again. A duplicate invoice e-mail is harmless; a lost record
of a sending that did not happen would not be, so this order is the chosen one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from billing_shared.commands import OnResource
from billing_shared.db.uow import UnitOfWork
from billing_shared.errors import Problem
from invoicing.adapters.mail.mailer import MailError, SentMail, mailer_from_settings
from invoicing.bootstrap import Deps
from invoicing.domain import invoices, mail
from invoicing.domain.document_content import DocumentTerms, Party
from invoicing.domain.invoices import Invoice
from invoicing.service_layer.invoice_settings import invoice_terms
from invoicing.service_layer.invoices import get_invoice, save_invoice
from invoicing.service_layer.mail_content import invoice_message
from invoicing.service_layer.projections import await_emailable, party
from invoicing.store.invoices import InvoiceRepository
from invoicing.store.sends import InvoiceSends


def send_invoice(uow: UnitOfWork, deps: Deps, cmd: OnResource) -> Invoice:
    """E-mail the finalized invoice to its customer with its PDF and hosted link, then record the
    sending (InvoiceSent) in `uow`, the request's transaction. The merchant's only."""
    cmd.scope.require_merchant("send an invoice")
    with deps.db.unit_of_work(write=False) as lookup:
        invoice = get_invoice(lookup, cmd.scope, cmd.id)
        doc_terms = invoice_terms(lookup.session, deps, invoice)
        to = party(lookup, doc_terms, invoice.customer_id)
    cmd.check_version(invoice.version)
    invoices.check_sendable(invoice)
    if not to.buyer.email:
        to = await_emailable(deps, doc_terms, invoice.customer_id) or to
    if not to.buyer.email:
        raise Problem(
            409,
            f"Invoice '{invoice.id}' cannot be sent: no e-mail address is known for customer "
            f"'{invoice.customer_id}' yet.",
            extra={"invoiceStatus": invoice.status},
        )
    try:
        sent = _deliver(deps, invoice, to, doc_terms)
    except MailError as exc:
        raise Problem(
            502, f"The invoice e-mail could not be delivered: {exc}; nothing was recorded."
        ) from None
    return record_sending(
        uow, invoice.id, to=to.buyer.email, message_id=sent.message_id, at=datetime.now(UTC)
    )


def _deliver(deps: Deps, invoice: Invoice, to: Party, doc_terms: DocumentTerms) -> SentMail:
    """E-mails the finalized invoice to the buyer; MailError when the server or sink refuses."""
    return mailer_from_settings(deps.mail).send(invoice_message(deps, invoice, to, doc_terms))


def record_sending(
    uow: UnitOfWork, invoice_id: str, *, to: str, message_id: str, at: datetime, kind: str = mail.INVOICE
) -> Invoice:
    """A mail about the invoice, in the caller's transaction: its row in the invoice's sends; the
    invoice itself (by /send or automatically) also sets sentAt/sentTo and emits InvoiceSent."""
    invoice = InvoiceRepository(uow.session).get(invoice_id, for_update=True)
    assert invoice is not None  # invoices are never deleted
    count = InvoiceSends(uow.session).record(
        invoice_id, sent_to=to, message_id=message_id, sent_at=at, kind=kind
    )
    if kind != mail.INVOICE:
        return invoice
    after, events = invoices.sent(invoice, to=to, now=at, send_count=count)
    return save_invoice(uow, invoice, after, events)
