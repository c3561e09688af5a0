"""Helpers of the payments tests: other services' events as their publishers send them (each keeps
its contract, as the inbox requires), applied as the worker would apply them."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask

from billing_devtools.testing.samples import envelope
from billing_shared.events import catalog, contracts
from billing_shared.events.envelope import Envelope, utc_now_iso
from billing_shared.ids import new_id
from billing_shared.web.context import deps_of
from payments.bootstrap import Deps
from payments.handlers import HANDLERS

HOSTED_SECRET = "hosted-invoice-links-test-secret-0123456789"  # what invoicing would sign links with


def order_created(*, total: int, currency: str, customer_id: str | None = None) -> Envelope:
    """OrderCreated v1 of a one-line draft order without tax: its total is `total`."""
    line = {
        "productId": new_id("prod"),
        "quantity": 1,
        "unitPrice": total,
        "subtotal": total,
        "discount": 0,
        "taxRuleId": None,
        "taxName": None,
        "taxRate": "0",
        "taxInclusive": False,
        "tax": 0,
        "total": total,
    }
    data = {
        "id": new_id("ord"),
        "customerId": customer_id or new_id("cus"),
        "currency": currency,
        "status": "draft",
        "billingCycleId": None,
        "couponCode": None,
        "lines": [line],
        "subtotal": total,
        "discountTotal": 0,
        "taxTotal": 0,
        "total": total,
        "createdAt": utc_now_iso(),
    }
    return envelope("OrderCreated", data, source="/orders")


def order_paid(order: dict[str, Any]) -> Envelope:
    """OrderPaid v1 of an order `order_created` made (paid in full, without a payment intent)."""
    data = {
        "id": order["id"],
        "customerId": order["customerId"],
        "currency": order["currency"],
        "total": order["total"],
        "amountPaid": order["total"],
        "paymentIntentId": None,
        "billingCycleId": None,
        "paidAt": utc_now_iso(),
    }
    return envelope("OrderPaid", data, source="/orders")


def order_cancelled(order: dict[str, Any]) -> Envelope:
    data = {"id": order["id"], "customerId": order["customerId"], "cancelledAt": utc_now_iso()}
    return envelope("OrderCancelled", data, source="/orders")


def invoice_event(name: str, data: dict[str, Any], *, event_id: str | None = None) -> Envelope:
    """An invoicing event (keyed by its invoice; it has no `id` of its own)."""
    return Envelope(
        id=event_id or str(uuid.uuid4()),
        type=catalog.ce_type(name, 1),
        source="/invoicing",
        subject=data["invoiceId"],
        time=utc_now_iso(),
        dataschema=catalog.dataschema(name, 1),
        key=data["invoiceId"],
        data=data,
    )


def renewal_request(token: str = "tok_visa", **over: Any) -> dict[str, Any]:
    """InvoicePaymentRequested v1's data: a renewal invoice's first charge of 29.00 EUR."""
    return {
        "invoiceId": new_id("in"),
        "subscriptionId": new_id("sub"),
        "customerId": new_id("cus"),
        "amount": 2900,
        "currency": "EUR",
        "gatewayId": "test",
        "paymentMethodToken": token,
        "attempt": 1,
        "periodStart": "2026-12-01T00:00:00+00:00",
        "periodEnd": "2027-01-01T00:00:00+00:00",
    } | over


def deliver(app: Flask, event: Envelope) -> None:
    """Apply an event as the worker would: checked against its contract (the inbox dead-letters one
    that breaks it), then its handler, in one transaction (the inbox's dedup aside)."""
    contracts.check(event.name, event.version, event.data)
    deps = deps_of(app, Deps)
    with deps.db.unit_of_work() as uow:
        HANDLERS[event.name](uow, deps, event)
        uow.commit()
