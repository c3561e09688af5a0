"""Refunds and disputes of an invoice's payment (credit notes, the dispute flag), and reading the
credit notes.

- PaymentRefunded (v1: an order's payment; v2: `orderId` may be null and `invoiceId` names a
  renewal invoice): one credit note per refund id in the CN series, linked to the invoice, for
  that refund's amount; the invoice's `amountRefunded` becomes payments' running total;
  CreditNoteIssued. A replay (same event, or the same refund under another event id) finds the
  refund's note and changes nothing.
- PaymentDisputed (v1, v2): the invoice is flagged `disputed` with the time it was heard of.
The invoice row is locked first, so two deliveries of one refund queue instead of racing for a
number. An invoice not known yet (its payment overtook OrderCreated) is an error: the worker
retries the event until the invoice exists.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from billing_shared.db.owned import OwnedReads
from billing_shared.db.uow import UnitOfWork
from billing_shared.ids import new_id
from invoicing.domain import credit_notes, invoices
from invoicing.domain.commands import CreditRefund, FlagDispute
from invoicing.domain.credit_notes import CreditNote
from invoicing.domain.invoices import Invoice
from invoicing.service_layer.invoices import save_invoice
from invoicing.store.credit_notes import CreditNoteRepository
from invoicing.store.invoice_settings import InvoiceSettingsRevisions
from invoicing.store.invoices import InvoiceRepository
from invoicing.store.number_series import NumberSeries

log = logging.getLogger(__name__)


class InvoiceNotKnownYet(RuntimeError):
    """The payment's invoice is not here yet: retried by the worker."""


def _paid_invoice(uow: UnitOfWork, event_name: str, payment: CreditRefund | FlagDispute) -> Invoice:
    """The invoice the payment event speaks of, row-locked."""
    repo = InvoiceRepository(uow.session)
    found = repo.id_of_payment(
        invoice_id=payment.invoice_id,
        payment_intent_id=payment.payment_intent_id,
        order_id=payment.order_id,
    )
    invoice = repo.get(found, for_update=True) if found else None
    if invoice is None:
        raise InvoiceNotKnownYet(f"no invoice yet for payment {payment.payment_intent_id} ({event_name})")
    return invoice


def credit_refund(uow: UnitOfWork, cmd: CreditRefund) -> None:
    """PaymentRefunded: the refund's credit note (once) and the invoice's refunded total."""
    now = datetime.now(UTC)
    invoice = _paid_invoice(uow, "PaymentRefunded", cmd)
    notes = CreditNoteRepository(uow.session)
    if notes.by_refund(cmd.refund_id) is not None:
        return  # this refund's credit note exists: a replay
    if invoice.number is None:
        log.warning("refund of a draft invoice's payment: no credit note", extra={"invoice_id": invoice.id})
        return
    seq = NumberSeries(uow.session).next(credit_notes.SERIES, now.year)
    note, events = credit_notes.issue(
        note_id=new_id("cn"),
        seq=seq,
        invoice=invoice,
        refund_id=cmd.refund_id,
        amount=cmd.amount,
        payment_intent_id=cmd.payment_intent_id,
        settings_revision=InvoiceSettingsRevisions(uow.session).newest_revision(),
        now=now,
    )
    notes.add(note)
    refunded = invoices.refunded(invoice, amount_refunded=cmd.amount_refunded, now=now)
    save_invoice(uow, invoice, refunded, events)


def flag_dispute(uow: UnitOfWork, cmd: FlagDispute) -> None:
    """PaymentDisputed: the invoice shows the chargeback (once; a replay changes nothing)."""
    invoice = _paid_invoice(uow, "PaymentDisputed", cmd)
    flagged = invoices.flag_disputed(invoice, datetime.now(UTC))
    if flagged is not None:
        InvoiceRepository(uow.session).save(flagged, expected_version=invoice.version)


CREDIT_NOTES = OwnedReads[CreditNote](CreditNoteRepository, "credit note")
get_credit_note = CREDIT_NOTES.one
list_credit_notes = CREDIT_NOTES.page
