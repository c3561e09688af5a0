"""Every sending of an invoice by e-mail, one row each (sending again is allowed and recorded)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from billing_shared.ids import new_id
from invoicing.store.tables import invoice_sends


class InvoiceSends:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record(self, invoice_id: str, *, sent_to: str, message_id: str | None, sent_at: datetime) -> int:
        """Adds the row; returns how many times the invoice has been sent, this one included."""
        self.session.execute(
            insert(invoice_sends).values(
                id=new_id("isend"),
                invoice_id=invoice_id,
                sent_to=sent_to,
                message_id=message_id,
                sent_at=sent_at,
            )
        )
        return self.count(invoice_id)

    def count(self, invoice_id: str) -> int:
        stmt = select(func.count()).select_from(invoice_sends).where(invoice_sends.c.invoice_id == invoice_id)
        return int(self.session.execute(stmt).scalar_one())
