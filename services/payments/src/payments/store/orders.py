"""The local projection of orders, kept from the orders service's events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from payments.domain import orders as rules
from payments.domain.orders import OrderView
from payments.store.tables import order_projection


class OrderProjection:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, order_id: str, *, for_update: bool = False) -> OrderView | None:
        stmt = select(order_projection).where(order_projection.c.id == order_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = self.session.execute(stmt).first()
        return OrderView(row.id, row.customer_id, row.currency, row.total, row.status) if row else None

    def apply(self, name: str, data: dict[str, Any], now: datetime) -> None:
        known = self.get(str(data["id"]), for_update=True)
        after = rules.from_event(name, data, known)
        if after is None or after == known:
            return
        values = {
            "customer_id": after.customer_id,
            "currency": after.currency,
            "total": after.total,
            "status": after.status,
            "updated_at": now,
        }
        if known is None:
            self.session.execute(insert(order_projection).values(id=after.id, **values))
        else:
            self.session.execute(
                update(order_projection).where(order_projection.c.id == after.id).values(**values)
            )
