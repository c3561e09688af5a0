"""What invoicing knows of orders (OrderCreated / OrderPaid / OrderCancelled): the whole priced
order, so a draft can be made from it at any later time, and its status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from invoicing.domain.commands import RecordOrder
from invoicing.store.tables import order_projection


class OrderProjection:
    """What invoicing knows of orders: the priced order of OrderCreated, and its status."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, order_id: str) -> dict[str, Any] | None:
        """The order as projected (snake_case keys: `customer_id`, `priced`, `billing_cycle`, ...)."""
        row = self.session.execute(select(order_projection).where(order_projection.c.id == order_id)).first()
        return dict(row._mapping) if row else None

    def add(self, order: RecordOrder, now: datetime) -> bool:
        """From OrderCreated; False when the order was already known (a replay)."""
        values = {
            "id": order.order_id,
            "customer_id": order.customer_id,
            "currency": order.currency,
            "total": order.total,
            "status": order.status,
            "priced": order.priced,
            "billing_cycle": order.billing_cycle,
            "coupon": order.coupon,
            "trial": order.trial,
            "payment_intent_id": None,
            "created_at": now,
            "updated_at": now,
        }
        try:
            with self.session.begin_nested():
                self.session.execute(insert(order_projection).values(**values))
        except IntegrityError:
            return False
        return True

    def set_status(self, order_id: str, status: str, payment_intent_id: str | None, now: datetime) -> None:
        self.session.execute(
            update(order_projection)
            .where(order_projection.c.id == order_id)
            .values(status=status, payment_intent_id=payment_intent_id, updated_at=now)
        )
