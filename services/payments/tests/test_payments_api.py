"""The payments API on the real PostgreSQL with an in-memory gateway: checks that never reach the
gateway, exactly one charge under races and retries, one live intent per order, gateways, and
customer isolation."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from fake_provider import FakeProvider
from flask import Flask
from flask.testing import FlaskClient
from payments_testing import deliver, order_cancelled, order_created, order_paid
from sqlalchemy import func, select

from billing_devtools.testing.tokens import TokenFactory
from billing_shared.ids import new_id
from billing_shared.web.context import deps_of
from payments.bootstrap import Deps
from payments.domain.payment_provider import IntentRequest
from payments.service_layer import recovery
from payments.store.tables import payment_intents

pytestmark = pytest.mark.integration

Order = dict[str, Any]


def body(order: Order, token: str = "tok_visa", **over: Any) -> dict[str, Any]:
    return {
        "orderId": order["id"],
        "amount": order["total"],
        "currency": order["currency"],
        "paymentMethodToken": token,
    } | over


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def as_customer(tokens: TokenFactory, customer_id: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {tokens.token('payments:read payments:write', customer_id=customer_id)}"
    }


def intents_count(app: Flask) -> int:
    with deps_of(app).db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(payment_intents)).scalar_one())


def test_an_order_is_paid_with_a_card(
    client: FlaskClient,
    admin: dict[str, str],
    know_order: Callable[..., Order],
    fake: FakeProvider,
    outbox: Callable[[str], list[dict[str, Any]]],
) -> None:
    order = know_order(total=6296, currency="GBP")
    r = client.post("/api/v1/PaymentIntents", json=body(order), headers=admin | key())
    assert r.status_code == 201, r.json
    pi = r.json
    assert pi["id"].startswith("pi_") and r.headers["Location"] == f"/api/v1/PaymentIntents/{pi['id']}"
    assert (pi["status"], pi["amount"], pi["currency"], pi["gatewayId"]) == ("succeeded", 6296, "GBP", "test")
    assert pi["allowedActions"] == ["refund"] and pi["gatewayReference"] and pi["clientSecret"]
    assert (pi["failureCode"], pi["failureMessage"], pi["nextAction"]) == (None, None, None)
    assert (pi["orderId"], pi["invoiceId"], pi["subscriptionId"], pi["attempt"], pi["offSession"]) == (
        order["id"],
        None,
        None,
        None,
        False,
    )
    assert fake.calls_of("create_intent") == [f"{pi['id']}:create"]
    assert fake.off_session_keys == {f"{pi['id']}:create": False}
    [charge] = fake.charges_by_ref.values()
    assert charge.metadata == {
        "paymentIntentId": pi["id"],
        "orderId": order["id"],
        "customerId": order["customerId"],
    }
    [created] = outbox("PaymentIntentCreated")
    assert (created["id"], created["orderId"], created["customerId"]) == (
        pi["id"],
        order["id"],
        order["customerId"],
    )
    [paid] = outbox("PaymentSucceeded")  # v2 for every intent: an order's carries its token
    assert paid == {
        "id": pi["id"],
        "orderId": order["id"],
        "customerId": order["customerId"],
        "amount": 6296,
        "currency": "GBP",
        "gatewayId": "test",
        "gatewayReference": pi["gatewayReference"],
        "invoiceId": None,
        "subscriptionId": None,
        "attempt": None,
        "paymentMethodToken": "tok_visa",
    }
    assert outbox("PaymentSucceeded", version=1) == []
    got = client.get(f"/api/v1/PaymentIntents/{pi['id']}", headers=admin)
    assert got.status_code == 200 and got.json == pi and got.headers["ETag"] == f'"{pi["version"]}"'
    listed = client.get(f"/api/v1/PaymentIntents?orderId={order['id']}&status=succeeded", headers=admin).json
    assert [i["id"] for i in listed["data"]] == [pi["id"]] and listed["hasMore"] is False


MISMATCHES = [
    ({"amount": 6295}, "amount"),
    ({"amount": 62960}, "amount"),
    ({"currency": "USD"}, "currency"),
    ({"currency": "EUR", "amount": 1}, "currency"),
]


@pytest.mark.parametrize(("over", "field"), MISMATCHES)
def test_a_mismatch_is_422_and_the_gateway_sees_no_call(
    client: FlaskClient,
    admin: dict[str, str],
    know_order: Callable[..., Order],
    fake: FakeProvider,
    app: Flask,
    outbox: Callable[[str], list[dict[str, Any]]],
    over: dict[str, Any],
    field: str,
) -> None:
    order = know_order(total=6296, currency="GBP")
    r = client.post("/api/v1/PaymentIntents", json=body(order, **over), headers=admin | key())
    assert r.status_code == 422 and r.content_type == "application/problem+json", r.json
    assert field in [e["field"] for e in r.json["errors"]]
    assert fake.calls == [] and intents_count(app) == 0 and outbox("PaymentIntentCreated") == []


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"amount": "6296"}, "amount"),
        ({"amount": 62.96}, "amount"),
        ({"currency": "gbp"}, "currency"),
        ({"paymentMethodToken": ""}, "paymentMethodToken"),
        ({"captureMethod": "later"}, "captureMethod"),
        ({"gatewayId": "paypal"}, "gatewayId"),
        ({"returnUrl": "javascript:alert(1)"}, "returnUrl"),
        ({"cardNumber": "4242424242424242"}, "cardNumber"),
    ],
)
def test_malformed_requests_are_422_naming_the_field(
    client: FlaskClient,
    admin: dict[str, str],
    know_order: Callable[..., Order],
    fake: FakeProvider,
    over: dict[str, Any],
    field: str,
) -> None:
    r = client.post("/api/v1/PaymentIntents", json=body(know_order(), **over), headers=admin | key())
    assert r.status_code == 422 and field in [e["field"] for e in r.json["errors"]], r.json
    assert fake.calls == []


def test_orders_that_cannot_be_paid_are_refused(
    client: FlaskClient,
    admin: dict[str, str],
    app: Flask,
    know_order: Callable[..., Order],
    fake: FakeProvider,
) -> None:
    free = know_order(total=0)
    deliver(app, order_paid(free))
    r = client.post("/api/v1/PaymentIntents", json=body(free), headers=admin)
    assert r.status_code == 422 and "needs no payment" in r.json["detail"], r.json

    gone = know_order()
    deliver(app, order_cancelled(gone))
    r = client.post("/api/v1/PaymentIntents", json=body(gone), headers=admin)
    assert r.status_code == 422 and r.json["errors"][0] == {
        "field": "orderId",
        "message": "order is cancelled",
    }

    started = time.monotonic()
    r = client.post(
        "/api/v1/PaymentIntents",
        json=body({"id": new_id("ord"), "total": 1, "currency": "GBP"}),
        headers=admin,
    )
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "orderId"
    assert time.monotonic() - started >= 0.9, "an unknown order is waited for (bounded) before it is refused"
    assert fake.calls == []


def test_an_intent_right_after_its_order_waits_for_the_projection(
    client: FlaskClient, admin: dict[str, str], app: Flask
) -> None:
    created = order_created(total=500, currency="GBP")
    order = created.data

    def arrive_late() -> None:
        time.sleep(0.3)
        deliver(app, created)

    threading.Thread(target=arrive_late).start()
    r = client.post("/api/v1/PaymentIntents", json=body(order), headers=admin)
    assert r.status_code == 201 and r.json["status"] == "succeeded", r.json


def test_a_declined_card_is_a_failed_intent_with_a_reason_and_the_order_may_be_paid_again(
    client: FlaskClient,
    admin: dict[str, str],
    know_order: Callable[..., Order],
    outbox: Callable[[str], list[dict[str, Any]]],
) -> None:
    order = know_order()
    r = client.post("/api/v1/PaymentIntents", json=body(order, "tok_chargeDeclined"), headers=admin | key())
    assert r.status_code == 201 and r.json["status"] == "failed", r.json
    assert (r.json["failureCode"], r.json["failureMessage"]) == (
        "card_declined",
        "Your card has insufficient funds.",
    )
    assert r.json["allowedActions"] == []
    [failed] = outbox("PaymentFailed")
    assert (
        failed["failureMessage"] == "Your card has insufficient funds." and failed["orderId"] == order["id"]
    )
    again = client.post("/api/v1/PaymentIntents", json=body(order), headers=admin | key())
    assert again.status_code == 201 and again.json["status"] == "succeeded"

    refused = client.post(
        "/api/v1/PaymentIntents", json=body(know_order(), "tok_refused"), headers=admin | key()
    )
    assert refused.status_code == 201 and refused.json["status"] == "failed"
    assert refused.json["failureCode"] == "resource_missing"


def test_one_live_intent_per_order(
    client: FlaskClient,
    admin: dict[str, str],
    know_order: Callable[..., Order],
    fake: FakeProvider,
    app: Flask,
) -> None:
    order = know_order()
    first = client.post(
        "/api/v1/PaymentIntents", json=body(order, "tok_threeDSecureRequired"), headers=admin | key()
    )
    assert first.status_code == 201 and first.json["status"] == "requires_action"
    second = client.post("/api/v1/PaymentIntents", json=body(order), headers=admin | key())
    assert second.status_code == 409 and first.json["id"] in second.json["detail"], second.json
    assert second.json["paymentIntentId"] == first.json["id"]
    assert len(fake.calls_of("create_intent")) == 1

    cancel = client.post(f"/api/v1/PaymentIntents/{first.json['id']}/cancel", headers=admin)
    assert (
        cancel.status_code == 200
        and cancel.json["status"] == "canceled"
        and cancel.json["nextAction"] is None
    )
    assert client.post(f"/api/v1/PaymentIntents/{first.json['id']}/cancel", headers=admin).json == cancel.json
    third = client.post("/api/v1/PaymentIntents", json=body(order), headers=admin | key())
    assert third.status_code == 201 and third.json["status"] == "succeeded"
    # a succeeded intent holds its order too
    assert client.post("/api/v1/PaymentIntents", json=body(order), headers=admin | key()).status_code == 409

    # twenty racing creates with twenty keys: one wins, the others are told which one
    raced = know_order()
    fake.delay = 0.05

    def post(_: int) -> tuple[int, str]:
        r = app.test_client().post("/api/v1/PaymentIntents", json=body(raced), headers=admin | key())
        return r.status_code, r.json.get("id") or r.json.get("paymentIntentId")

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(post, range(20)))
    assert sorted(s for s, _ in results) == [201] + [409] * 19, results
    assert len({i for _, i in results}) == 1
    assert len(fake.calls_of("create_intent")) == 3


def test_fifty_concurrent_posts_with_one_key_charge_once(
    client: FlaskClient,
    admin: dict[str, str],
    know_order: Callable[..., Order],
    fake: FakeProvider,
    app: Flask,
) -> None:
    order = know_order()
    same = admin | key()
    fake.delay = 0.2  # the first request is still at the gateway while the others arrive

    def post(_: int) -> tuple[int, str | None]:
        r = app.test_client().post("/api/v1/PaymentIntents", json=body(order), headers=same)
        return r.status_code, r.json.get("id")

    with ThreadPoolExecutor(max_workers=25) as pool:
        results = list(pool.map(post, range(50)))
    assert {s for s, _ in results} <= {201, 409} and [s for s, _ in results].count(201) >= 1, results
    assert len({i for s, i in results if s == 201}) == 1
    assert (
        intents_count(app) == 1 and len(fake.calls_of("create_intent")) == 1 and len(fake.charges_by_ref) == 1
    )
    replay = client.post("/api/v1/PaymentIntents", json=body(order), headers=same)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    other = client.post("/api/v1/PaymentIntents", json=body(order, "tok_mastercard"), headers=same)
    assert other.status_code == 422 and len(fake.calls_of("create_intent")) == 1


def test_an_unreachable_gateway_keeps_the_intent_and_a_retry_charges_once(
    client: FlaskClient,
    admin: dict[str, str],
    know_order: Callable[..., Order],
    fake: FakeProvider,
    outbox: Callable[[str], list[dict[str, Any]]],
) -> None:
    order = know_order()
    same = admin | key()
    fake.down = True
    r = client.post("/api/v1/PaymentIntents", json=body(order), headers=same)
    assert (
        r.status_code == 503 and r.headers["Retry-After"] and r.json["paymentIntentId"].startswith("pi_")
    ), r.json
    pi_id = r.json["paymentIntentId"]
    pending = client.get(f"/api/v1/PaymentIntents/{pi_id}", headers=admin).json
    assert pending["status"] == "requires_payment_method" and pending["allowedActions"] == []
    # the intent holds the order: another key cannot start a second charge meanwhile
    assert client.post("/api/v1/PaymentIntents", json=body(order), headers=admin | key()).status_code == 409

    fake.down = False
    fake.lose_answers = 1  # this time the gateway charges, but its answer is lost
    r = client.post("/api/v1/PaymentIntents", json=body(order), headers=same)
    assert r.status_code == 503 and r.json["paymentIntentId"] == pi_id
    r = client.post("/api/v1/PaymentIntents", json=body(order), headers=same)
    assert r.status_code == 201 and r.json["id"] == pi_id and r.json["status"] == "succeeded", r.json
    assert fake.calls_of("create_intent") == [f"{pi_id}:create"] * 3 and len(fake.charges_by_ref) == 1
    assert [e["id"] for e in outbox("PaymentSucceeded")] == [pi_id]


def test_the_worker_completes_a_call_whose_answer_was_lost(
    client: FlaskClient,
    admin: dict[str, str],
    know_order: Callable[..., Order],
    fake: FakeProvider,
    app: Flask,
    outbox: Callable[[str], list[dict[str, Any]]],
) -> None:
    order = know_order()
    fake.lose_answers = 1
    r = client.post("/api/v1/PaymentIntents", json=body(order), headers=admin)  # no key: nobody retries
    assert r.status_code == 503
    deps = deps_of(app, Deps)
    assert recovery.recover(deps) == 0, "a released call is left to its client for retry_after_seconds"
    deps = replace(deps, settings=deps.settings.model_copy(update={"retry_after_seconds": 0.0}))
    assert recovery.recover(deps) == 1 and recovery.recover(deps) == 0
    got = client.get(f"/api/v1/PaymentIntents/{r.json['paymentIntentId']}", headers=admin).json
    assert got["status"] == "succeeded" and got["allowedActions"] == ["refund"]
    assert len(fake.charges_by_ref) == 1 and len(set(fake.calls_of("create_intent"))) == 1
    assert [e["id"] for e in outbox("PaymentSucceeded")] == [got["id"]]


def test_the_worker_leaves_a_call_to_a_gateway_it_cannot_reach_waiting(
    client: FlaskClient,
    admin: dict[str, str],
    know_order: Callable[..., Order],
    fake: FakeProvider,
    app: Flask,
) -> None:
    fake.down = True
    pi_id = client.post("/api/v1/PaymentIntents", json=body(know_order()), headers=admin).json[
        "paymentIntentId"
    ]
    deps = deps_of(app, Deps)
    deps = replace(deps, settings=deps.settings.model_copy(update={"retry_after_seconds": 0.0}))
    assert recovery.recover(deps) == 1  # still down: logged, kept, no exception out of the sweep
    deps = replace(deps, providers={})  # a worker where the gateway is not configured
    assert recovery.recover(deps) == 1
    got = client.get(f"/api/v1/PaymentIntents/{pi_id}", headers=admin).json
    assert got["status"] == "requires_payment_method" and fake.charges_by_ref == {}


def test_a_crashed_request_is_taken_over_after_the_stale_window(
    client: FlaskClient,
    admin: dict[str, str],
    know_order: Callable[..., Order],
    fake: FakeProvider,
    app: Flask,
) -> None:
    """A process killed between recording the intent and the gateway's answer leaves the call
    claimed; once the claim is stale the worker drives it, with the same provider key."""
    order = know_order()
    deps = deps_of(app, Deps)
    fake.lose_answers = 1
    client.post("/api/v1/PaymentIntents", json=body(order), headers=admin)
    pi_id = fake.calls_of("create_intent")[0].removesuffix(":create")
    with deps.db.unit_of_work() as uow:  # as if the request died mid-call
        uow.session.execute(
            payment_intents.update()
            .where(payment_intents.c.id == pi_id)
            .values(provider_call_at=datetime(2020, 1, 1, tzinfo=UTC))
        )
        uow.commit()
    assert recovery.recover(deps) == 1
    assert client.get(f"/api/v1/PaymentIntents/{pi_id}", headers=admin).json["status"] == "succeeded"
    assert len(fake.charges_by_ref) == 1


def test_manual_capture(
    client: FlaskClient,
    admin: dict[str, str],
    know_order: Callable[..., Order],
    fake: FakeProvider,
    outbox: Callable[[str], list[dict[str, Any]]],
    tokens: TokenFactory,
) -> None:
    order = know_order()
    r = client.post("/api/v1/PaymentIntents", json=body(order, captureMethod="manual"), headers=admin | key())
    assert r.status_code == 201 and r.json["status"] == "requires_capture", r.json
    assert r.json["allowedActions"] == ["capture", "cancel"] and outbox("PaymentSucceeded") == []
    pi = r.json["id"]
    payer = as_customer(tokens, order["customerId"])
    assert client.post(f"/api/v1/PaymentIntents/{pi}/capture", headers=payer).status_code == 403
    stale = client.post(f"/api/v1/PaymentIntents/{pi}/capture", headers=admin | {"If-Match": '"99"'})
    assert stale.status_code == 412
    done = client.post(f"/api/v1/PaymentIntents/{pi}/capture", headers=admin)
    assert done.status_code == 200 and done.json["status"] == "succeeded", done.json
    assert client.post(f"/api/v1/PaymentIntents/{pi}/capture", headers=admin).json["status"] == "succeeded"
    assert fake.calls_of("capture") == [f"{pi}:capture"]
    assert [e["id"] for e in outbox("PaymentSucceeded")] == [pi]
    assert client.post(f"/api/v1/PaymentIntents/{pi}/cancel", headers=admin).status_code == 409


def test_gateways_are_listed_without_secrets_and_switched_by_an_admin(
    client: FlaskClient, admin: dict[str, str], know_order: Callable[..., Order], tokens: TokenFactory
) -> None:
    r = client.get("/api/v1/PaymentGateways", headers=admin)
    assert r.status_code == 200, r.json
    by_id = {g["id"]: g for g in r.json["data"]}
    assert by_id["test"] == {
        "id": "test",
        "enabled": True,
        "configured": True,
        "currencies": [],
        "capabilities": ["manual_capture", "redirect", "refunds", "three_ds"],
    }
    assert by_id["stripe"]["enabled"] is False and by_id["stripe"]["configured"] is False
    assert "whsec" not in r.get_data(as_text=True)

    writer = {"Authorization": f"Bearer {tokens.token('payments:write payments:read')}"}
    assert (
        client.patch("/api/v1/PaymentGateways/test", json={"enabled": False}, headers=writer).status_code
        == 403
    )
    assert (
        client.patch("/api/v1/PaymentGateways/nope", json={"enabled": False}, headers=admin).status_code
        == 404
    )
    assert (
        client.patch("/api/v1/PaymentGateways/stripe", json={"enabled": True}, headers=admin).status_code
        == 409
    )
    off = client.patch("/api/v1/PaymentGateways/test", json={"enabled": False}, headers=admin)
    assert off.status_code == 200 and off.json["enabled"] is False
    r = client.post("/api/v1/PaymentIntents", json=body(know_order()), headers=admin)
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "gatewayId"
    assert client.patch("/api/v1/PaymentGateways/test", json={"enabled": True}, headers=admin).json["enabled"]
    assert client.post("/api/v1/PaymentIntents", json=body(know_order()), headers=admin).status_code == 201


def test_customer_tokens_see_and_pay_only_their_own(
    client: FlaskClient, admin: dict[str, str], know_order: Callable[..., Order], tokens: TokenFactory
) -> None:
    mine, theirs = know_order(), know_order()
    me = as_customer(tokens, mine["customerId"])
    other_pi = client.post("/api/v1/PaymentIntents", json=body(theirs), headers=admin).json["id"]
    r = client.post("/api/v1/PaymentIntents", json=body(theirs), headers=me)
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "orderId"
    own = client.post("/api/v1/PaymentIntents", json=body(mine), headers=me)
    assert own.status_code == 201, own.json
    assert client.get(f"/api/v1/PaymentIntents/{other_pi}", headers=me).status_code == 404
    assert [i["id"] for i in client.get("/api/v1/PaymentIntents", headers=me).json["data"]] == [
        own.json["id"]
    ]
    assert client.get(f"/api/v1/PaymentIntents?orderId={theirs['id']}", headers=me).json["data"] == []
    assert client.post(f"/api/v1/PaymentIntents/{other_pi}/cancel", headers=me).status_code == 404
    refund = client.post(
        "/api/v1/Refunds", json={"paymentIntentId": own.json["id"], "reason": "duplicate"}, headers=me
    )
    assert refund.status_code == 403
    narrow = {"Authorization": f"Bearer {tokens.token('payments:read')}"}
    assert client.post("/api/v1/PaymentIntents", json=body(know_order()), headers=narrow).status_code == 403


def test_reconciliation_compares_with_the_gateways_records(
    client: FlaskClient,
    admin: dict[str, str],
    know_order: Callable[..., Order],
    fake: FakeProvider,
    tokens: TokenFactory,
) -> None:
    today = datetime.now(UTC).date().isoformat()
    for token in ("tok_visa", "tok_chargeDeclined"):
        client.post("/api/v1/PaymentIntents", json=body(know_order(), token), headers=admin)
    r = client.get(f"/api/v1/Reconciliation?date={today}", headers=admin)
    assert r.status_code == 200 and r.json["clean"] is True, r.json
    assert r.json["summary"]["matched"] == 2 and r.json["gateways"] == ["test"]
    # a charge the gateway made that we have no record of
    fake.create_intent(
        IntentRequest(
            amount=100,
            currency="GBP",
            payment_method_token="tok_visa",
            idempotency_key="outside",
            metadata={"orderId": "ord_elsewhere"},
        )
    )
    r = client.get(f"/api/v1/Reconciliation?date={today}", headers=admin)
    assert r.json["clean"] is False and [m["orderId"] for m in r.json["missingHere"]] == ["ord_elsewhere"]
    reader = {"Authorization": f"Bearer {tokens.token('payments:read')}"}
    assert client.get(f"/api/v1/Reconciliation?date={today}", headers=reader).status_code == 403
    bad = client.get("/api/v1/Reconciliation?date=yesterday", headers=admin)
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "query:date"
