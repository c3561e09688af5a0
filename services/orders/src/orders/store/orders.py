"""Reads and writes of orders."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from billing_shared.db.repository import keyset_page, save_versioned
from billing_shared.db.timestamps import aware
from billing_shared.paging import Page, PageRequest
from billing_shared.pricing import PricedOrder
from orders.domain.orders import Order
from orders.store.tables import orders


class OrderRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _from_row(row: Any) -> Order:
        return Order(
            id=row.id,
            customer_id=row.customer_id,
            currency=row.currency,
            status=row.status,
            priced=PricedOrder.from_dict(row.priced),
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
            billing_cycle_id=row.billing_cycle_id,
            coupon_id=row.coupon_id,
            coupon_code=row.coupon_code,
            amount_refunded=row.amount_refunded,
            payment_intent_ids=list(row.payment_intent_ids or []),
            invoice_id=row.invoice_id,
            metadata=row.metadata or {},
            version=row.version,
            paid_at=aware(row.paid_at),
            cancelled_at=aware(row.cancelled_at),
        )

    @staticmethod
    def _values(o: Order) -> dict[str, Any]:
        return {
            "id": o.id,
            "customer_id": o.customer_id,
            "currency": o.currency,
            "status": o.status,
            "billing_cycle_id": o.billing_cycle_id,
            "coupon_id": o.coupon_id,
            "coupon_code": o.coupon_code,
            "subtotal": o.priced.subtotal,
            "discount_total": o.priced.discount_total,
            "tax_total": o.priced.tax_total,
            "total": o.priced.total,
            "priced": o.priced.to_dict(),
            "amount_refunded": o.amount_refunded,
            "payment_intent_ids": o.payment_intent_ids,
            "invoice_id": o.invoice_id,
            "metadata": o.metadata,
            "version": o.version,
            "created_at": o.created_at,
            "updated_at": o.updated_at,
            "paid_at": o.paid_at,
            "cancelled_at": o.cancelled_at,
        }

    def add(self, order: Order) -> None:
        self.session.execute(insert(orders).values(**self._values(order)))

    def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        stmt = select(orders).where(orders.c.id == order_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = self.session.execute(stmt).first()
        return self._from_row(row) if row else None

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

    def page(self, request: PageRequest, *, customer_id: str | None, status: str | None) -> Page[Order]:
        stmt = select(orders)
        if customer_id:
            stmt = stmt.where(orders.c.customer_id == customer_id)
        if status:
            stmt = stmt.where(orders.c.status == status)
        return keyset_page(self.session, stmt, orders.c.id, request).map(self._from_row)
