"""Reads and writes of invoices within a unit of work's session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billing_shared.db.records import priced_columns, record, row_values
from billing_shared.db.repository import filtered_page, first, save_versioned
from billing_shared.paging import Page, PageRequest
from billing_shared.pricing import PricedOrder
from invoicing.domain.invoices import Invoice
from invoicing.store.tables import invoices


class InvoiceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _from_row(row: Any) -> Invoice:
        return record(
            Invoice, row, priced=PricedOrder.from_dict(row.priced), line_texts=list(row.line_texts or [])
        )

    @staticmethod
    def _values(i: Invoice) -> dict[str, Any]:
        return row_values(i, invoices, **priced_columns(i.priced))

    def add(self, invoice: Invoice) -> bool:
        """Insert; False when the order already has its invoice (the unique orderId said so)."""
        try:
            with self.session.begin_nested():
                self.session.execute(insert(invoices).values(**self._values(invoice)))
        except IntegrityError:
            return False
        return True

    def add_many(self, batch: list[Invoice]) -> None:
        """Insert many at once (the biller); a duplicate raises IntegrityError for the caller."""
        if batch:
            self.session.execute(insert(invoices), [self._values(i) for i in batch])

    def get(self, invoice_id: str, *, for_update: bool = False) -> Invoice | None:
        return first(
            self.session,
            select(invoices).where(invoices.c.id == invoice_id),
            self._from_row,
            for_update=for_update,
        )

    def by_order(self, order_id: str, *, for_update: bool = False) -> Invoice | None:
        return first(
            self.session,
            select(invoices).where(invoices.c.order_id == order_id),
            self._from_row,
            for_update=for_update,
        )

    def save(self, invoice: Invoice, *, expected_version: int) -> None:
        """ConcurrentChange when another writer saved a newer version first."""
        save_versioned(
            self.session, invoices, invoice.id, expected_version, self._values(invoice), kind="invoice"
        )

    def page(self, request: PageRequest, **filters: str | None) -> Page[Invoice]:
        """Oldest first; each filter a column = value."""
        return filtered_page(self.session, invoices, request, self._from_row, filters)

    def id_of_payment(
        self, *, invoice_id: str | None, payment_intent_id: str | None, order_id: str | None
    ) -> str | None:
        """The invoice a payment event speaks of: its `invoiceId` (v2, renewal charges), else the
        invoice paid by that intent, else the order's one invoice."""
        if invoice_id:
            return invoice_id
        conditions = []
        if payment_intent_id:
            conditions.append(invoices.c.payment_intent_id == payment_intent_id)
        if order_id:
            conditions.append(invoices.c.order_id == order_id)
        if not conditions:
            return None
        found = self.session.execute(select(invoices.c.id).where(or_(*conditions)).limit(1)).scalar()
        return str(found) if found is not None else None
