"""Every sending of an invoice by e-mail, one row each (sending again is allowed and recorded)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from billing_shared.ids import new_id
from invoicing.store.tables import invoice_sends


@dataclass(frozen=True)
class Sending:
    kind: str  # invoice | receipt | payment_failed
    sent_to: str
    message_id: str | None
    sent_at: datetime


class InvoiceSends:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self,
        invoice_id: str,
        *,
        sent_to: str,
        message_id: str | None,
        sent_at: datetime,
        kind: str = "invoice",
    ) -> int:
        """Adds the row; returns how many times the invoice itself has been sent, this one included
        (receipts and payment reminders are recorded beside it, not counted)."""
        self.session.execute(
            insert(invoice_sends).values(
                id=new_id("isend"),
                invoice_id=invoice_id,
                sent_to=sent_to,
                message_id=message_id,
                sent_at=sent_at,
                kind=kind,
            )
        )
        return self.count(invoice_id)

    def count(self, invoice_id: str) -> int:
        stmt = (
            select(func.count())
            .select_from(invoice_sends)
            .where(invoice_sends.c.invoice_id == invoice_id, invoice_sends.c.kind == "invoice")
        )
        return int(self.session.execute(stmt).scalar_one())

    def of_invoice(self, invoice_id: str) -> list[Sending]:
        """Every mail about the invoice that went out, oldest first."""
        stmt = (
            select(invoice_sends)
            .where(invoice_sends.c.invoice_id == invoice_id)
            .order_by(invoice_sends.c.sent_at)
        )
        return [Sending(r.kind, r.sent_to, r.message_id, r.sent_at) for r in self.session.execute(stmt)]
