"""What orders knows of customers, from their events: that they exist, and their address for tax."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from billing_shared.db.newest import keep_newest
from billing_shared.db.uow import affected
from orders.domain.order_pricing import Buyer
from orders.store.tables import customer_default_methods as defaults
from orders.store.tables import customer_projection


class CustomerProjection:
    """What orders knows of customers, from their events: existence and the billing address for tax."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def buyer(self, customer_id: str) -> Buyer | None:
        row = self.session.execute(
            select(customer_projection.c.country, customer_projection.c.region).where(
                customer_projection.c.id == customer_id
            )
        ).first()
        return Buyer(customer_id, row.country, row.region) if row else None

    def default_method(self, customer_id: str) -> tuple[str, str] | None:
        """(payment method id, gateway id) of the customer's default, as payments last said."""
        row = self.session.execute(
            select(defaults.c.payment_method_id, defaults.c.gateway_id).where(
                defaults.c.customer_id == customer_id
            )
        ).first()
        if row is None or not row.payment_method_id:
            return None
        return row.payment_method_id, row.gateway_id or ""

    def apply_default_method(self, data: dict[str, Any]) -> None:
        """PaymentMethodDefaultChanged: kept unless a later change (a higher count) is known."""
        values = {
            "payment_method_id": data["paymentMethodId"],
            "gateway_id": data.get("gatewayId"),
            "version": int(data["defaultVersion"]),
        }
        keep_newest(self.session, defaults, {"customer_id": data["customerId"]}, values, "version")

    def apply(self, data: dict[str, Any], now: datetime) -> None:
        """Upsert from CustomerCreated/CustomerUpdated; an older version never overwrites a newer one."""
        address = data.get("billingAddress") or {}
        values = {
            "email": data["email"],
            "country": address.get("country"),
            "region": address.get("region"),
            "version": int(data["version"]),
            "updated_at": now,
        }
        res = self.session.execute(
            update(customer_projection)
            .where(customer_projection.c.id == data["id"], customer_projection.c.version < values["version"])
            .values(**values)
        )
        if affected(res) == 0:
            exists = self.session.execute(
                select(customer_projection.c.id).where(customer_projection.c.id == data["id"])
            ).first()
            if not exists:
                self.session.execute(insert(customer_projection).values(id=data["id"], **values))
