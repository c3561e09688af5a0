"""Helpers of the invoicing tests: orders' and payments' events as the worker would apply them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import Flask

from billing_shared.events import contracts
from billing_shared.events.envelope import Envelope
from billing_shared.pricing import LineInput, PricedOrder, TaxRate, price_order
from billing_shared.web.context import deps_of
from invoicing.bootstrap import Deps
from invoicing.handlers import HANDLERS


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:26].upper()}"


def event(name: str, data: dict[str, Any], source: str = "/orders", version: int = 1) -> Envelope:
    return Envelope(
        id=str(uuid.uuid4()),
        type=f"billing.{name}.v{version}",
        source=source,
        subject=data["id"],
        time=datetime.now(UTC).isoformat(),
        dataschema="",
        key=data["id"],
        data=data,
    )


def deliver(app: Flask, env: Envelope) -> None:
    """Apply an event as the worker would: checked against its contract first (the inbox parks a
    broken one before any handler sees it), then its use case in one transaction (the inbox's
    dedup aside)."""
    contracts.check(env.name, env.version, env.data)
    deps = deps_of(app, Deps)
    with deps.db.unit_of_work() as uow:
        HANDLERS[env.name](uow, deps, env)
        uow.commit()


def priced(total_lines: list[tuple[int, int]] | None = None, currency: str = "USD") -> PricedOrder:
    lines = [
        LineInput(f"prod_{i}", qty, unit, TaxRate("txr_1", "VAT", Decimal("0.2"), False))
        for i, (qty, unit) in enumerate(total_lines or [(2, 1999), (1, 500)])
    ]
    return price_order(currency, lines)


def order_created(
    customer_id: str | None = None, order: PricedOrder | None = None, order_id: str | None = None
) -> dict[str, Any]:
    """OrderCreated data as orders publishes it: the priced order (no trace) and its ids."""
    data = (order or priced()).to_dict()
    data.pop("trace")
    return data | {
        "id": order_id or new_id("ord"),
        "customerId": customer_id or new_id("cus"),
        "status": "draft",
        "billingCycleId": None,
        "couponCode": None,
        "createdAt": datetime.now(UTC).isoformat(),
    }


def named_order_created(customer_id: str | None = None) -> dict[str, Any]:
    """OrderCreated v4: a one-off order whose lines carry their products' names as ordered."""
    data = order_created(customer_id)
    names = ["Analytical Engine rental", "Punched cards (box)"]
    data["lines"] = [
        line | {"name": names[i % 2], "description": "as ordered" if i == 0 else None}
        for i, line in enumerate(data["lines"])
    ]
    return data | {"billingCycle": None, "coupon": None, "trial": None}


def payment_succeeded(order: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": new_id("pi"),
        "orderId": order["id"],
        "customerId": order["customerId"],
        "amount": order["total"],
        "currency": order["currency"],
        "gatewayId": "test",
        "gatewayReference": "ref_1",
    }


def order_paid_free(order: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": order["id"],
        "customerId": order["customerId"],
        "currency": order["currency"],
        "total": 0,
        "amountPaid": 0,
        "paymentIntentId": None,
        "billingCycleId": None,
        "paidAt": datetime.now(UTC).isoformat(),
    }
