"""The local projection of orders, kept from the orders service's events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from billing_shared.db.records import record
from billing_shared.db.repository import first
from payments.domain.orders import OrderView
from payments.store.tables import order_projection


class OrderProjection:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, order_id: str, *, for_update: bool = False) -> OrderView | None:
        stmt = select(order_projection).where(order_projection.c.id == order_id)
        return first(self.session, stmt, lambda row: record(OrderView, row), for_update=for_update)

    def put(self, order: OrderView, *, known: bool, now: datetime) -> None:
        """Insert the order's projection, or (`known`) replace the one read."""
        values = {
            "customer_id": order.customer_id,
            "currency": order.currency,
            "total": order.total,
            "status": order.status,
            "updated_at": now,
        }
        if known:
            self.session.execute(
                update(order_projection).where(order_projection.c.id == order.id).values(**values)
            )
        else:
            self.session.execute(insert(order_projection).values(id=order.id, **values))
