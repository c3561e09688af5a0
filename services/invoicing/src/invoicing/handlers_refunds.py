"""Invoicing's handlers of refunds and disputes of an invoice's payment (credit notes, dispute flag).

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

from billing_shared.db.uow import UnitOfWork
from billing_shared.events import contracts
from billing_shared.events.envelope import Envelope
from billing_shared.ids import new_id
from billing_shared.inbox.consumer import Handler
from invoicing import flows
from invoicing.domain import credit_notes
from invoicing.domain import invoices as rules
from invoicing.domain.invoices import Invoice
from invoicing.store.credit_notes import CreditNoteRepository, invoice_id_of_payment
from invoicing.store.invoices import InvoiceRepository, NumberSeries

log = logging.getLogger(__name__)


class InvoiceNotKnownYet(RuntimeError):
    """The payment's invoice is not here yet: retried by the worker."""


def _applicable(event: Envelope) -> bool:
    try:
        contracts.check(event.name, event.version, event.data)
    except contracts.ContractError as exc:
        log.warning("event ignored: it breaks its contract", extra={"event_id": event.id, "error": str(exc)})
        return False
    return True


def _invoice(uow: UnitOfWork, event: Envelope) -> Invoice:
    data = event.data
    found = invoice_id_of_payment(
        uow.session,
        invoice_id=data.get("invoiceId"),
        payment_intent_id=data.get("id"),
        order_id=data.get("orderId"),
    )
    invoice = InvoiceRepository(uow.session).get(found, for_update=True) if found else None
    if invoice is None:
        raise InvoiceNotKnownYet(f"no invoice yet for payment {data.get('id')} ({event.name})")
    return invoice


def payment_refunded(uow: UnitOfWork, event: Envelope) -> None:
    if not _applicable(event):
        return
    data, now = event.data, datetime.now(UTC)
    invoice = _invoice(uow, event)
    notes = CreditNoteRepository(uow.session)
    if notes.by_refund(data["refundId"]) is not None:
        return  # this refund's credit note exists: a replay
    if invoice.number is None:
        log.warning("refund of a draft invoice's payment: no credit note", extra={"invoice_id": invoice.id})
        return
    seq = NumberSeries(uow.session).next(credit_notes.SERIES, now.year)
    note, events = credit_notes.issue(
        note_id=new_id("cn"),
        seq=seq,
        invoice=invoice,
        refund_id=data["refundId"],
        amount=int(data["amount"]),
        payment_intent_id=data.get("id"),
        now=now,
    )
    notes.add(note)
    flows.save(
        uow, invoice, rules.refunded(invoice, amount_refunded=int(data["amountRefunded"]), now=now), events
    )


def payment_disputed(uow: UnitOfWork, event: Envelope) -> None:
    if not _applicable(event):
        return
    invoice = _invoice(uow, event)
    flagged = rules.flag_disputed(invoice, datetime.now(UTC))
    if flagged is not None and not InvoiceRepository(uow.session).save(
        flagged, expected_version=invoice.version
    ):
        raise flows.ConcurrentChange(f"invoice {invoice.id} changed concurrently; retry")


REFUND_HANDLERS: dict[str, Handler] = {
    "PaymentRefunded": payment_refunded,
    "PaymentDisputed": payment_disputed,
}
