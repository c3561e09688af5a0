"""Subscriptions and the recurring biller on PostgreSQL: started by a paid monthly order, each
period billed exactly once (repeated and concurrent runs), charged by event, dunning."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from invoicing_testing import deliver, event, order_created
from subscriptions_testing import answer, paid_with, recurring_order, requested, run, start

from billing_shared.web.context import deps_of
from invoicing.domain.billing_runs import RunReport
from invoicing.service_layer import billing_runs


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _renewals(client: FlaskClient, admin: dict[str, str], sub_id: str) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/Invoices?subscriptionId={sub_id}&limit=100", headers=admin)
    assert r.status_code == 200
    data: list[dict[str, Any]] = r.json["data"]
    return data


def _histories(client: FlaskClient, admin: dict[str, str], sub_id: str) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/SubscriptionBillingHistories?subscriptionId={sub_id}", headers=admin)
    assert r.status_code == 200
    data: list[dict[str, Any]] = r.json["data"]
    return data


def _sub(client: FlaskClient, admin: dict[str, str], sub_id: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/Subscriptions/{sub_id}", headers=admin)
    assert r.status_code == 200
    found: dict[str, Any] = r.json
    return found


def test_a_paid_monthly_order_starts_one_subscription_with_its_payment_method(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    order, sub = start(app, client, admin)
    assert (
        sub["status"] == "active" and sub["paymentMethodToken"] == "tok_visa" and sub["gatewayId"] == "test"
    )
    assert sub["customerId"] == order["customerId"] and sub["currency"] == "USD"
    begin, end = _parse(sub["currentPeriodStart"]), _parse(sub["currentPeriodEnd"])
    assert 28 <= (end - begin).days <= 31
    again = client.post("/api/v1/Subscriptions", json={"orderId": order["id"]}, headers=admin)
    assert again.status_code == 200 and again.json["id"] == sub["id"], again.json
    # the same payment delivered again starts nothing new
    deliver(app, event("PaymentSucceeded", paid_with(order), source="/payments", version=2))
    r = client.get(f"/api/v1/Subscriptions?customerId={order['customerId']}", headers=admin)
    assert [s["id"] for s in r.json["data"]] == [sub["id"]]


def test_three_periods_are_billed_once_each_over_repeated_and_concurrent_runs(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    order, sub = start(app, client, admin)
    end1 = _parse(sub["currentPeriodEnd"])
    assert run(client, admin, end1 - timedelta(seconds=1))["invoiced"] == 0, "not due before its period ends"
    first = run(client, admin, end1 + timedelta(hours=1))
    assert (first["invoiced"], first["chargesRequested"]) == (1, 1)
    assert run(client, admin, end1 + timedelta(hours=1))["invoiced"] == 0, "the same asOf again bills nothing"
    end2 = _parse(_sub(client, admin, sub["id"])["currentPeriodEnd"])
    assert end2 > end1
    reports: list[RunReport] = []
    db = deps_of(app).db
    threads = [
        threading.Thread(target=lambda: reports.append(billing_runs.bill_due(db, end2, datetime.now(UTC))))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.invoiced for r in reports) == 1, [r.to_data() for r in reports]
    end3 = _parse(_sub(client, admin, sub["id"])["currentPeriodEnd"])
    assert run(client, admin, end3)["invoiced"] == 1
    renewals = _renewals(client, admin, sub["id"])
    assert len(renewals) == 3
    assert all(i["status"] == "open" and i["billingReason"] == "subscription_cycle" for i in renewals)
    assert all(i["total"] == order["total"] and i["orderId"] is None for i in renewals), (
        "priced by the same rule"
    )
    starts = [i["periodStart"] for i in renewals]
    assert len(set(starts)) == 3 and _parse(starts[0]) == end1
    numbers = sorted(int(i["number"].rsplit("-", 1)[1]) for i in renewals)
    assert numbers == list(range(numbers[0], numbers[0] + 3)), "gapless numbers"
    histories = _histories(client, admin, sub["id"])
    assert sorted(h["invoiceId"] for h in histories) == sorted(i["id"] for i in renewals)
    assert all(h["status"] == "pending" and h["attempts"] == 1 for h in histories)
    charges = requested(app)
    assert sorted(c["invoiceId"] for c in charges) == sorted(i["id"] for i in renewals)
    assert all(c["paymentMethodToken"] == "tok_visa" and c["attempt"] == 1 for c in charges)
    # payments answers: the renewal invoice is paid and the history says so
    answer(app, charges[0], ok=True)
    paid = client.get(f"/api/v1/Invoices/{charges[0]['invoiceId']}", headers=admin).json
    assert paid["status"] == "paid" and paid["amountPaid"] == order["total"]
    [row] = [h for h in _histories(client, admin, sub["id"]) if h["invoiceId"] == paid["id"]]
    assert row["status"] == "paid" and row["paymentIntentId"] == paid["paymentIntentId"]


def test_a_declined_renewal_is_retried_by_dunning_and_recovers_with_a_new_card(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    _, sub = start(app, client, admin)
    end1 = _parse(sub["currentPeriodEnd"])
    run(client, admin, end1)
    [charge] = requested(app)
    answer(app, charge, ok=False)
    now = _sub(client, admin, sub["id"])
    assert now["status"] == "past_due"
    [row] = _histories(client, admin, sub["id"])
    assert row["status"] == "past_due" and row["failureCode"] == "card_declined"
    assert _parse(row["nextAttemptAt"]) == end1 + timedelta(days=1)
    assert run(client, admin, end1 + timedelta(hours=23))["retried"] == 0, "not before its retry date"
    r = client.patch(
        f"/api/v1/Subscriptions/{sub['id']}", json={"paymentMethodToken": "tok_mastercard"}, headers=admin
    )
    assert r.status_code == 200 and r.json["paymentMethodToken"] == "tok_mastercard"
    assert run(client, admin, end1 + timedelta(days=1))["retried"] == 1
    retry = requested(app)[-1]
    assert (retry["attempt"], retry["paymentMethodToken"]) == (2, "tok_mastercard")
    answer(app, charge, ok=False)  # a late repeat of the first answer changes nothing
    answer(app, retry, ok=True)
    assert _sub(client, admin, sub["id"])["status"] == "active"
    [row] = _histories(client, admin, sub["id"])
    assert (row["status"], row["attempts"]) == ("paid", 2)
    assert client.get(f"/api/v1/Invoices/{retry['invoiceId']}", headers=admin).json["status"] == "paid"


def test_a_customer_changes_its_own_subscriptions_method_and_no_one_elses(
    app: Flask, client: FlaskClient, admin: dict[str, str], tokens: Any
) -> None:
    order, sub = start(app, client, admin)
    _, other = start(app, client, admin)
    me = {"Authorization": f"Bearer {tokens.token(customer_id=order['customerId'])}"}
    r = client.patch(f"/api/v1/Subscriptions/{sub['id']}", json={"paymentMethodToken": "pm_mine"}, headers=me)
    assert r.status_code == 200 and r.json["paymentMethodToken"] == "pm_mine"
    theirs = client.patch(
        f"/api/v1/Subscriptions/{other['id']}", json={"paymentMethodToken": "pm_x"}, headers=me
    )
    assert theirs.status_code == 404
    assert _sub(client, admin, other["id"])["paymentMethodToken"] == "tok_visa"
    assert client.post(f"/api/v1/Subscriptions/{sub['id']}/cancel", headers=me).status_code == 403


def test_dunning_gives_up_after_the_last_retry(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    _, sub = start(app, client, admin)
    end1 = _parse(sub["currentPeriodEnd"])
    run(client, admin, end1)
    for days in (1, 3, 5):  # the default schedule
        answer(app, requested(app)[-1], ok=False)
        assert _sub(client, admin, sub["id"])["status"] == "past_due"
        assert run(client, admin, end1 + timedelta(days=days))["retried"] == 1
    answer(app, requested(app)[-1], ok=False)
    final = _sub(client, admin, sub["id"])
    assert final["status"] == "canceled" and final["canceledAt"]
    [row] = _histories(client, admin, sub["id"])
    assert (row["status"], row["attempts"], row["nextAttemptAt"]) == ("uncollectible", 4, None)
    [invoice] = _renewals(client, admin, sub["id"])
    assert invoice["status"] == "uncollectible"
    later = run(client, admin, end1 + timedelta(days=90))
    assert (later["invoiced"], later["retried"]) == (0, 0), "a canceled subscription bills nothing"


def test_cancel_now_or_at_period_end(app: Flask, client: FlaskClient, admin: dict[str, str]) -> None:
    _, sub = start(app, client, admin)
    r = client.post(f"/api/v1/Subscriptions/{sub['id']}/cancel", json={"atPeriodEnd": True}, headers=admin)
    assert r.status_code == 200 and r.json["cancelAtPeriodEnd"] is True and r.json["status"] == "active"
    report = run(client, admin, _parse(sub["currentPeriodEnd"]) + timedelta(days=2))
    assert (report["invoiced"], report["canceled"]) == (0, 1)
    assert _sub(client, admin, sub["id"])["status"] == "canceled"
    _, other = start(app, client, admin)
    assert (
        client.post(f"/api/v1/Subscriptions/{other['id']}/cancel", json={}, headers=admin).status_code == 200
    )
    twice = client.post(f"/api/v1/Subscriptions/{other['id']}/cancel", json={}, headers=admin)
    assert twice.status_code == 409 and twice.mimetype == "application/problem+json"


def test_a_repeating_coupon_applies_to_its_remaining_cycles_only(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    coupon = {
        "code": "HALF",
        "percentOff": "50",
        "amountOff": None,
        "productIds": None,
        "duration": "repeating",
        "durationInCycles": 2,
    }
    _, sub = start(app, client, admin, coupon=coupon, lines=[(1, 1000)])
    assert sub["couponCyclesRemaining"] == 1
    end = _parse(sub["currentPeriodEnd"])
    for _ in range(2):
        run(client, admin, end)
        end = _parse(_sub(client, admin, sub["id"])["currentPeriodEnd"])
    first, second = _renewals(client, admin, sub["id"])
    assert (first["discountTotal"], first["total"]) == (500, 600)  # 10.00 - 50 %, + 20 % VAT
    assert (second["discountTotal"], second["total"]) == (0, 1200)


def test_bad_input_is_refused_and_changes_nothing(
    app: Flask, client: FlaskClient, admin: dict[str, str], bearer: Any
) -> None:
    _, sub = start(app, client, admin)
    for body in (
        {"asOf": "yesterday"},
        {"asOf": "2026-01-01T00:00:00"},
        {},
        {"asOf": "2026-01-01T00:00:00Z", "x": 1},
    ):
        r = client.post("/api/v1/SubscriptionBillingRuns", json=body, headers=admin)
        assert r.status_code == 422 and r.mimetype == "application/problem+json", body
    customer = bearer("subscriptions:read", "subscriptions:write", customer_id=sub["customerId"])
    far = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    r = client.post("/api/v1/SubscriptionBillingRuns", json={"asOf": far}, headers=customer)
    assert r.status_code == 403
    unknown = client.post("/api/v1/Subscriptions", json={"orderId": "ord_01NOPE"}, headers=admin)
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "orderId"
    one_off = order_created()
    deliver(app, event("OrderCreated", one_off | {"billingCycle": None, "coupon": None}, version=2))
    r = client.post("/api/v1/Subscriptions", json={"orderId": one_off["id"]}, headers=admin)
    assert r.status_code == 422
    unpaid = recurring_order()
    deliver(app, event("OrderCreated", unpaid, version=2))
    assert (
        client.post("/api/v1/Subscriptions", json={"orderId": unpaid["id"]}, headers=admin).status_code == 409
    )
    r = client.patch(f"/api/v1/Subscriptions/{sub['id']}", json={"paymentMethodToken": ""}, headers=admin)
    assert r.status_code == 422
    assert (
        _renewals(client, admin, sub["id"]) == []
        and _sub(client, admin, sub["id"])["paymentMethodToken"] == "tok_visa"
    )
    other = bearer("subscriptions:read", customer_id="cus_someone_else")
    assert client.get(f"/api/v1/Subscriptions/{sub['id']}", headers=other).status_code == 404
