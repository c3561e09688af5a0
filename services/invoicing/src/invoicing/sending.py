"""Sending an invoice by e-mail: the mail goes out first, then it is recorded.

SMTP is slow and can hang for `SMTP_TIMEOUT`; it must never run while the invoice row is locked
(that would stall the payment handlers and the number counter behind it). So:
1. `deliver`: with no transaction open, render the PDF, build the message (hosted link in the
   body, PDF attached) and hand it to the mailer (SMTP, or the `.eml` sink).
2. `record`: one short transaction locks the invoice, adds the `invoice_sends` row, sets
   `sentAt`/`sentTo` and writes InvoiceSent to the outbox.
A crash between 1 and 2 leaves a mail sent but not recorded; the client's retry (same
`Idempotency-Key` or not) sends it again. A duplicate invoice e-mail is harmless; a lost record
of a sending that did not happen would not be, so this order is the chosen one.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from billing_shared.db.uow import UnitOfWork
from invoicing import flows
from invoicing.config import InvoicingSettings
from invoicing.documents import format_money, render_pdf
from invoicing.documents.format import format_day
from invoicing.domain import invoices as rules
from invoicing.domain.invoices import Invoice
from invoicing.mail import MailSettings, SentMail, build_invoice_message, mailer_from_settings
from invoicing.render import Party, invoice_document
from invoicing.store.invoices import InvoiceRepository
from invoicing.store.sends import InvoiceSends


def mail_settings(s: InvoicingSettings) -> MailSettings:
    return MailSettings(
        smtp_url=s.smtp_url or None,
        var_dir=Path(s.var_dir),
        starttls=s.smtp_starttls,
        timeout=s.smtp_timeout,
        sender=s.mail_from,
    )


def deliver(inv: Invoice, party: Party, settings: InvoicingSettings, hosted_url: str) -> SentMail:
    """E-mails the finalized invoice to the buyer; MailError when the server or sink refuses."""
    doc = invoice_document(inv, party, settings)
    assert inv.number is not None
    msg = build_invoice_message(
        sender=settings.mail_from,
        to=party.buyer.email,
        number=inv.number,
        seller_name=party.seller.name,
        total=format_money(inv.total, inv.currency, party.locale),
        hosted_url=hosted_url,
        pdf=render_pdf(doc),
        due_date=format_day(doc.due_date, party.locale) if doc.due_date else None,
    )
    return mailer_from_settings(mail_settings(settings)).send(msg)


def record(uow: UnitOfWork, invoice_id: str, to: str, mail: SentMail, now: datetime) -> Invoice:
    """The sending, in the caller's transaction: a row, sentAt/sentTo, InvoiceSent."""
    invoice = InvoiceRepository(uow.session).get(invoice_id, for_update=True)
    assert invoice is not None  # invoices are never deleted
    count = InvoiceSends(uow.session).record(invoice_id, sent_to=to, message_id=mail.message_id, sent_at=now)
    after, events = rules.sent(invoice, to=to, now=now, send_count=count)
    return flows.save(uow, invoice, after, events)
