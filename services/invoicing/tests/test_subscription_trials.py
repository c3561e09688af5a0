"""A trial order starts its subscription trialing: its own invoice is the zero trial invoice, nothing
is billed inside the trial, SubscriptionTrialWillEnd comes once three days before its end, and the
run after the end bills the plan's first period and charges it to the default method the order
named; billed periods are then counted from the trial's end."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from invoicing_testing import deliver, event, new_id, order_paid_free, priced
from sqlalchemy import select
from subscriptions_testing import MONTHLY, answer, recurring_order, requested, run

from billing_shared.web.context import deps_of


def trial_order(days: int = 14) -> dict[str, Any]:
    """OrderCreated v3 of a monthly trial order: its lines at 0, the plan (2 x 19.99 + 5.00, VAT
    20 %) kept for after the trial, and the customer's default method."""
    data = recurring_order()
    zero = priced([(2, 0), (1, 0)])
    kept = priced().to_dict()
    kept.pop("trace")
    own = zero.to_dict()
    own.pop("trace")
    end = datetime.now(UTC) + timedelta(days=days)
    return (
        data
        | own
        | {
            "trial": {
                "days": days,
                "trialEnd": end.isoformat(),
                "paymentMethodId": new_id("pm"),
                "gatewayId": "test",
                "plan": kept,
            },
            "billingCycle": MONTHLY,
        }
    )


def outbox(app: Flask, name: str) -> list[dict[str, Any]]:
    db = deps_of(app).db
    table = db.kit_tables.outbox
    with db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(select(table.c.data).where(table.c.type.like(f"billing.{name}.v%"))).all()
    return [r.data if isinstance(r.data, dict) else json.loads(r.data) for r in rows]


def test_a_trial_bills_nothing_until_it_ends_then_charges_the_plan_to_the_default_method(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    order = trial_order()
    deliver(app, event("OrderCreated", order, version=3))
    deliver(app, event("OrderPaid", order_paid_free(order)))
    [own] = client.get(f"/api/v1/Invoices?orderId={order['id']}", headers=admin).json["data"]
    assert (own["total"], own["status"]) == (0, "paid"), "the zero trial invoice, paid at once"
    [sub] = client.get(f"/api/v1/Subscriptions?orderId={order['id']}", headers=admin).json["data"]
    trial_end = datetime.fromisoformat(order["trial"]["trialEnd"])
    assert (sub["status"], datetime.fromisoformat(sub["trialEnd"])) == ("trialing", trial_end)
    assert datetime.fromisoformat(sub["currentPeriodEnd"]) == trial_end
    assert [i["unitPrice"] for i in sub["items"]] == [1999, 500], "the plan's prices, not the trial's 0"
    assert outbox(app, "SubscriptionCreated")[0]["trialEnd"] == trial_end.isoformat()

    inside = run(client, admin, trial_end - timedelta(days=5))
    assert inside["invoiced"] == 0 and outbox(app, "SubscriptionTrialWillEnd") == []
    run(client, admin, trial_end - timedelta(days=2))
    run(client, admin, trial_end - timedelta(days=1))
    [warned] = outbox(app, "SubscriptionTrialWillEnd")
    assert warned["trialEnd"] == trial_end.isoformat()
    assert client.get(f"/api/v1/Invoices?subscriptionId={sub['id']}", headers=admin).json["data"] == []

    after = run(client, admin, trial_end + timedelta(minutes=1))
    assert after["invoiced"] == 1
    [first] = client.get(f"/api/v1/Invoices?subscriptionId={sub['id']}", headers=admin).json["data"]
    assert first["total"] == 5398 and datetime.fromisoformat(first["periodStart"]) == trial_end
    [charge] = requested(app)
    assert (charge["paymentMethodToken"], charge["amount"]) == (order["trial"]["paymentMethodId"], 5398)
    answer(app, charge, ok=True)
    again = client.get(f"/api/v1/Subscriptions/{sub['id']}", headers=admin).json
    assert again["status"] == "active" and datetime.fromisoformat(again["currentPeriodStart"]) == trial_end
    assert run(client, admin, trial_end + timedelta(days=20))["invoiced"] == 0, "one invoice per period"
