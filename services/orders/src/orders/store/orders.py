"""Reads and writes of orders."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from billing_shared.db.records import priced_columns, record, row_values
from billing_shared.db.repository import filtered_page, first, save_versioned
from billing_shared.paging import Page, PageRequest
from billing_shared.pricing import PricedOrder
from orders.domain.orders import Order
from orders.store.tables import orders


class OrderRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _from_row(row: Any) -> Order:
        return record(
            Order,
            row,
            priced=PricedOrder.from_dict(row.priced),
            payment_intent_ids=list(row.payment_intent_ids or []),
            metadata=row.metadata or {},
            line_texts=list(row.line_texts or []),
        )

    @staticmethod
    def _values(o: Order) -> dict[str, Any]:
        return row_values(o, orders, **priced_columns(o.priced))

    def add(self, order: Order) -> None:
        self.session.execute(insert(orders).values(**self._values(order)))

    def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        return first(
            self.session, select(orders).where(orders.c.id == order_id), self._from_row, for_update=for_update
        )

    def save(self, order: Order, expected_version: int) -> None:
        save_versioned(self.session, orders, order.id, expected_version, self._values(order), kind="order")

    def save_links(self, order: Order) -> None:
        """Payment intent and invoice references: not a state change, no version bump."""
        self.session.execute(
            update(orders)
            .where(orders.c.id == order.id)
            .values(
                payment_intent_ids=order.payment_intent_ids,
                invoice_id=order.invoice_id,
                updated_at=order.updated_at,
            )
        )

    def page(self, request: PageRequest, **filters: str | None) -> Page[Order]:
        """Oldest first; each filter a column = value."""
        return filtered_page(self.session, orders, request, self._from_row, filters)
