"""Credit notes: money given back on a finalized invoice, one per refund of its payment.

Numbered in their own gapless series (`CN-<year>-<6+ digits>`), taken from the same locked
counter table as invoice numbers in the handler's transaction. Pure: no Flask, no SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from billing_shared.events.domain import DomainEvent
from invoicing.domain.invoices import Invoice, format_number

SERIES = "CN"
REFUND = "refund"  # why a credit note exists (the only reason so far)


@dataclass(frozen=True)
class CreditNote:
    id: str
    number: str
    invoice_id: str
    customer_id: str
    currency: str
    amount: int  # minor units, this refund's amount (tax included, as the payment was)
    reason: str
    refund_id: str
    payment_intent_id: str | None
    created_at: datetime
    invoice_number: str | None = None  # the credited invoice's (read with the note, never stored)
    settings_revision: int | None = None  # the InvoiceSettings revision its document shows

    def to_data(self) -> dict[str, Any]:
        """The note as CreditNoteIssued and the API carry it."""
        return {
            "id": self.id,
            "number": self.number,
            "invoiceId": self.invoice_id,
            "invoiceNumber": self.invoice_number,
            "customerId": self.customer_id,
            "currency": self.currency,
            "amount": self.amount,
            "reason": self.reason,
            "refundId": self.refund_id,
            "paymentIntentId": self.payment_intent_id,
            "createdAt": self.created_at.isoformat(),
        }


def issue(
    *,
    note_id: str,
    seq: int,
    invoice: Invoice,
    refund_id: str,
    amount: int,
    payment_intent_id: str | None,
    settings_revision: int,
    now: datetime,
) -> tuple[CreditNote, list[DomainEvent]]:
    """The credit note of one refund on `invoice`; the caller took `seq` from the CN counter."""
    note = CreditNote(
        id=note_id,
        number=format_number(SERIES, now.year, seq),
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        currency=invoice.currency,
        amount=amount,
        reason=REFUND,
        refund_id=refund_id,
        payment_intent_id=payment_intent_id,
        created_at=now,
        invoice_number=invoice.number,
        settings_revision=settings_revision,
    )
    # Keyed by the invoice: its credit notes stay in order with its other events.
    return note, [DomainEvent("CreditNoteIssued", invoice.id, note.to_data())]
