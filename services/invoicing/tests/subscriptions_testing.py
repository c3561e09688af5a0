"""Helpers of the subscription tests: a paid monthly order, billing runs, payments' answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from invoicing_testing import deliver, event, new_id, order_created, priced
from sqlalchemy import select

from billing_shared.web.context import deps_of

MONTHLY = {"id": "bc_monthly", "intervalUnit": "month", "intervalCount": 1}


def recurring_order(
    customer_id: str | None = None,
    coupon: dict[str, Any] | None = None,
    lines: list[tuple[int, int]] | None = None,
) -> dict[str, Any]:
    """OrderCreated v2 of a monthly order (default 2 x 19.99 + 5.00, VAT 20 %)."""
    data = order_created(customer_id, order=priced(lines))
    return data | {"billingCycleId": "bc_monthly", "billingCycle": MONTHLY, "coupon": coupon}


def paid_with(order: dict[str, Any], token: str = "tok_visa") -> dict[str, Any]:
    """PaymentSucceeded v2 of an order's payment: the token the subscription saves."""
    return {
        "id": new_id("pi"),
        "orderId": order["id"],
        "customerId": order["customerId"],
        "amount": order["total"],
        "currency": order["currency"],
        "gatewayId": "test",
        "gatewayReference": "ch_1",
        "invoiceId": None,
        "subscriptionId": None,
        "attempt": None,
        "paymentMethodToken": token,
    }


def start(
    app: Flask, client: FlaskClient, admin: dict[str, str], **kw: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A monthly order created and paid: (the order's data, its subscription as the API shows it)."""
    order = recurring_order(**kw)
    deliver(app, event("OrderCreated", order, version=2))
    deliver(app, event("PaymentSucceeded", paid_with(order), source="/payments", version=2))
    r = client.get(f"/api/v1/Subscriptions?orderId={order['id']}", headers=admin)
    assert r.status_code == 200 and len(r.json["data"]) == 1, r.json
    sub: dict[str, Any] = r.json["data"][0]
    return order, sub


def run(client: FlaskClient, admin: dict[str, str], as_of: datetime | str) -> dict[str, Any]:
    text = as_of if isinstance(as_of, str) else as_of.isoformat()
    r = client.post("/api/v1/SubscriptionBillingRuns", json={"asOf": text}, headers=admin)
    assert r.status_code == 200, r.json
    report: dict[str, Any] = r.json
    return report


def requested(app: Flask) -> list[dict[str, Any]]:
    """The InvoicePaymentRequested events in the outbox, oldest first."""
    import json

    db = deps_of(app).db
    outbox = db.kit_tables.outbox
    with db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            select(outbox.c.data)
            .where(outbox.c.type == "billing.InvoicePaymentRequested.v1")
            .order_by(outbox.c.id)
        ).all()
    return [json.loads(r.data) for r in rows]


def answer(app: Flask, request: dict[str, Any], *, ok: bool, code: str = "card_declined") -> None:
    """Payments' answer to a charge request, as PaymentSucceeded / PaymentFailed v2."""
    data = {
        "id": new_id("pi"),
        "orderId": None,
        "customerId": request["customerId"],
        "amount": request["amount"],
        "currency": request["currency"],
        "gatewayId": request["gatewayId"],
        "invoiceId": request["invoiceId"],
        "subscriptionId": request["subscriptionId"],
        "attempt": request["attempt"],
        "paymentMethodToken": request["paymentMethodToken"],
    }
    if ok:
        deliver(
            app, event("PaymentSucceeded", data | {"gatewayReference": "ch_r"}, source="/payments", version=2)
        )
    else:
        failed = data | {"failureCode": code, "failureMessage": "The card was declined."}
        deliver(app, event("PaymentFailed", failed, source="/payments", version=2))
