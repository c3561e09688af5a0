"""The local projection of invoices, kept from the invoicing service's events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from billing_shared.db.records import record, row_values
from billing_shared.db.repository import first
from payments.domain.invoices import InvoiceView
from payments.store.tables import invoice_projection


class InvoiceProjection:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, invoice_id: str, *, for_update: bool = False) -> InvoiceView | None:
        stmt = select(invoice_projection).where(invoice_projection.c.id == invoice_id)
        return first(self.session, stmt, lambda row: record(InvoiceView, row), for_update=for_update)

    def put(self, invoice: InvoiceView, *, known: bool, now: datetime) -> None:
        """Insert the invoice's projection, or (`known`) replace the one read."""
        values = row_values(invoice, invoice_projection, updated_at=now)
        if known:
            self.session.execute(
                update(invoice_projection).where(invoice_projection.c.id == invoice.id).values(**values)
            )
        else:
            self.session.execute(insert(invoice_projection).values(**values))
