"""Reads and writes of one-off invoice items within a unit of work's session.

An invoice takes items in two steps of one transaction: `lock_pending` (the rows locked, in id
order, so two takers never deadlock; a taker that waited on a row another one took sees it is no
longer pending and leaves it) and `take` (pending -> invoiced, refused unless every row still was).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from billing_shared.concurrency import ConcurrentChange
from billing_shared.db.records import record, row_values
from billing_shared.db.repository import filtered_page, first, save_versioned
from billing_shared.db.uow import affected
from billing_shared.paging import Page, PageRequest
from invoicing.domain.invoice_items import INVOICED, PENDING, InvoiceItem
from invoicing.store.tables import invoice_items


class InvoiceItemRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _from_row(row: Any) -> InvoiceItem:
        return record(InvoiceItem, row, unit_price=int(row.unit_price))

    def add(self, item: InvoiceItem) -> None:
        self.session.execute(insert(invoice_items).values(**row_values(item, invoice_items)))

    def get(self, item_id: str, *, for_update: bool = False) -> InvoiceItem | None:
        return first(
            self.session,
            select(invoice_items).where(invoice_items.c.id == item_id),
            self._from_row,
            for_update=for_update,
        )

    def save(self, item: InvoiceItem, *, expected_version: int) -> None:
        save_versioned(
            self.session,
            invoice_items,
            item.id,
            expected_version,
            row_values(item, invoice_items),
            kind="invoice item",
        )

    def page(self, request: PageRequest, **filters: str | None) -> Page[InvoiceItem]:
        """Oldest first; each filter a column = value."""
        return filtered_page(self.session, invoice_items, request, self._from_row, filters)

    def lock_pending(self, customer_ids: Sequence[str], currency: str | None = None) -> list[InvoiceItem]:
        """The customers' pending items (in `currency` when given), locked until the transaction
        ends, oldest first."""
        if not customer_ids:
            return []
        stmt = (
            select(invoice_items)
            .where(invoice_items.c.customer_id.in_(customer_ids), invoice_items.c.status == PENDING)
            .order_by(invoice_items.c.id)
            .with_for_update()
        )
        if currency is not None:
            stmt = stmt.where(invoice_items.c.currency == currency)
        return [self._from_row(row) for row in self.session.execute(stmt)]

    def take(self, item_ids: Sequence[str], invoice_id: str, now: datetime) -> None:
        """The locked pending items are on `invoice_id` now. ConcurrentChange (and the caller's
        transaction undone) if any of them was not pending any more."""
        if not item_ids:
            return
        res = self.session.execute(
            update(invoice_items)
            .where(invoice_items.c.id.in_(item_ids), invoice_items.c.status == PENDING)
            .values(
                status=INVOICED,
                invoice_id=invoice_id,
                updated_at=now,
                version=invoice_items.c.version + 1,
            )
        )
        if affected(res) != len(item_ids):
            raise ConcurrentChange("invoice item", ", ".join(item_ids))

    def release(self, invoice_id: str, now: datetime) -> int:
        """A voided draft's items are pending again, for the next invoice; how many."""
        res = self.session.execute(
            update(invoice_items)
            .where(invoice_items.c.invoice_id == invoice_id, invoice_items.c.status == INVOICED)
            .values(status=PENDING, invoice_id=None, updated_at=now, version=invoice_items.c.version + 1)
        )
        return affected(res)
