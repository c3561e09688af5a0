"""Subscriptions end to end through the gateway: a paid monthly order starts one; billing runs
bill each period once and payments charges the saved card off-session by events; a declined
renewal goes past due and recovers when the card is changed and dunning retries."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from helpers import Client
from test_payments_through_gateway import eventually, pay

pytestmark = [pytest.mark.integration, pytest.mark.stack]


def monthly_order(api: Client) -> dict[str, Any]:
    product = api.call(
        "POST",
        "/Products",
        {
            "name": "Monthly plan",
            "taxCategory": "standard",
            "billingCycleId": "bc_monthly",
            "prices": [{"currency": "USD", "unitPrice": 1500}],
        },
    )
    assert product.status_code == 201, product.text
    customer = api.call(
        "POST", "/Customers", {"name": "Subscriber", "email": f"s.{uuid.uuid4().hex[:8]}@example.com"}
    )
    assert customer.status_code == 201, customer.text
    order = api.call(
        "POST",
        "/Orders",
        {
            "customerId": customer.json()["id"],
            "currency": "USD",
            "billingCycleId": "bc_monthly",
            "items": [{"productId": product.json()["id"], "quantity": 1}],
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert order.status_code == 201, order.text
    return dict(order.json())


def subscription_of(api: Client, order: dict[str, Any]) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        data = api.call("GET", f"/Subscriptions?orderId={order['id']}").json()["data"]
        return dict(data[0]) if data else None

    sub: dict[str, Any] = eventually(found, timeout=60, what="the subscription")
    return sub


def billing_run(api: Client, as_of: datetime) -> dict[str, Any]:
    r = api.call("POST", "/SubscriptionBillingRuns", {"asOf": as_of.isoformat()})
    assert r.status_code == 200, r.text
    report: dict[str, Any] = r.json()
    return report


def history(api: Client, sub_id: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = api.call(
        "GET", f"/SubscriptionBillingHistories?subscriptionId={sub_id}"
    ).json()["data"]
    return data


def test_a_renewal_is_billed_once_and_charged_off_session(api: Client) -> None:
    order = monthly_order(api)
    assert pay(api, order).status_code == 201
    sub = subscription_of(api, order)
    assert sub["status"] == "active" and sub["paymentMethodToken"] == "tok_visa"
    end = datetime.fromisoformat(sub["currentPeriodEnd"])
    first = billing_run(api, end + timedelta(minutes=5))
    again = billing_run(api, end + timedelta(minutes=5))
    assert (first["invoiced"], again["invoiced"]) == (1, 0)
    [row] = eventually(
        lambda: (rows := history(api, sub["id"])) and rows[0]["status"] == "paid" and rows,
        what="the renewal paid off-session",
    )
    renewal = api.call("GET", f"/Invoices/{row['invoiceId']}").json()
    assert renewal["status"] == "paid" and renewal["total"] == order["total"] and renewal["orderId"] is None
    intent = api.call("GET", f"/PaymentIntents/{row['paymentIntentId']}").json()
    assert (
        intent["invoiceId"] == renewal["id"]
        and intent["status"] == "succeeded"
        and intent["offSession"] is True
    )
    assert (
        datetime.fromisoformat(api.call("GET", f"/Subscriptions/{sub['id']}").json()["currentPeriodEnd"])
        > end
    )


def test_a_declined_renewal_goes_past_due_and_recovers_with_a_new_card(api: Client) -> None:
    order = monthly_order(api)
    assert pay(api, order).status_code == 201
    sub = subscription_of(api, order)
    r = api.call("PATCH", f"/Subscriptions/{sub['id']}", {"paymentMethodToken": "tok_chargeDeclined"})
    assert r.status_code == 200, r.text
    end = datetime.fromisoformat(sub["currentPeriodEnd"])
    assert billing_run(api, end)["chargesRequested"] == 1
    eventually(
        lambda: api.call("GET", f"/Subscriptions/{sub['id']}").json()["status"] == "past_due",
        what="past due after the decline",
    )
    [row] = history(api, sub["id"])
    assert row["status"] == "past_due" and row["failureCode"] and row["attempts"] == 1
    assert (
        api.call("PATCH", f"/Subscriptions/{sub['id']}", {"paymentMethodToken": "tok_visa"}).status_code
        == 200
    )
    assert billing_run(api, end + timedelta(days=1))["retried"] == 1
    eventually(
        lambda: api.call("GET", f"/Subscriptions/{sub['id']}").json()["status"] == "active",
        what="active again after the retry",
    )
    [row] = history(api, sub["id"])
    assert (row["status"], row["attempts"]) == ("paid", 2)
