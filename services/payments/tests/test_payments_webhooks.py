"""Gateway webhooks on the real PostgreSQL: signed deliveries applied once and in any order, forged
or unverifiable ones refused with nothing changed, disputes and refunds made at the gateway."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from fake_provider import SIGNATURE_HEADER, FakeProvider
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from billing_shared.web.context import deps_of
from payments.bootstrap import Deps
from payments.domain.payment_provider import (
    WEBHOOK_DISPUTE_CREATED,
    WEBHOOK_IGNORED,
    WEBHOOK_PAYMENT_FAILED,
    WEBHOOK_PAYMENT_SUCCEEDED,
    WEBHOOK_REFUNDED,
)
from payments.service_layer import recovery
from payments.store.tables import webhook_events

pytestmark = pytest.mark.integration

Order = dict[str, Any]
HOOK = "/api/v1/PaymentGateways/test/webhooks"


def create(client: FlaskClient, admin: dict[str, str], order: Order, token: str) -> dict[str, Any]:
    r = client.post(
        "/api/v1/PaymentIntents",
        json={
            "orderId": order["id"],
            "amount": order["total"],
            "currency": order["currency"],
            "paymentMethodToken": token,
        },
        headers=admin | {"Idempotency-Key": uuid.uuid4().hex},
    )
    assert r.status_code == 201, r.json
    return dict(r.json)


def send(
    client: FlaskClient, fake: FakeProvider, event_id: str, kind: str, reference: str, **extra: Any
) -> Any:
    headers, raw = fake.webhook(event_id, kind, reference, **extra)
    return client.post(HOOK, data=raw, headers=headers)


def deliveries(app: Flask) -> int:
    with deps_of(app).db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(webhook_events)).scalar_one())


def test_a_3ds_result_delivered_three_times_and_out_of_order_has_one_effect(
    client: FlaskClient,
    admin: dict[str, str],
    know_order: Callable[..., Order],
    fake: FakeProvider,
    outbox: Callable[[str], list[dict[str, Any]]],
) -> None:
    pi = create(client, admin, know_order(), "tok_threeDSecureRequired")
    assert pi["status"] == "requires_action" and pi["nextAction"]["type"] == "three_ds"
    assert pi["nextAction"]["url"].startswith("https://")
    ref = pi["gatewayReference"]
    first = send(client, fake, "evt_ok", WEBHOOK_PAYMENT_SUCCEEDED, ref, created=200)
    assert first.status_code == 200 and first.json == {
        "received": True,
        "duplicate": False,
        "applied": True,
        "paymentIntentId": pi["id"],
    }
    for _ in range(2):
        again = send(client, fake, "evt_ok", WEBHOOK_PAYMENT_SUCCEEDED, ref, created=200)
        assert again.status_code == 200 and again.json["duplicate"] is True
    # an earlier failure (a first, failed authentication) delivered last
    late = send(
        client, fake, "evt_fail", WEBHOOK_PAYMENT_FAILED, ref, created=100, failureMessage="Failed 3DS"
    )
    assert late.status_code == 200 and late.json["applied"] is False
    got = client.get(f"/api/v1/PaymentIntents/{pi['id']}", headers=admin).json
    assert got["status"] == "succeeded" and got["nextAction"] is None and got["failureMessage"] is None
    assert [e["id"] for e in outbox("PaymentSucceeded")] == [pi["id"]] and outbox("PaymentFailed") == []


def test_concurrent_deliveries_of_one_event_apply_once(
    client: FlaskClient,
    admin: dict[str, str],
    know_order: Callable[..., Order],
    fake: FakeProvider,
    app: Flask,
    outbox: Callable[[str], list[dict[str, Any]]],
) -> None:
    pi = create(client, admin, know_order(), "tok_threeDSecureRequired")
    headers, raw = fake.webhook("evt_race", WEBHOOK_PAYMENT_SUCCEEDED, pi["gatewayReference"])

    def post(_: int) -> int:
        return app.test_client().post(HOOK, data=raw, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        assert set(pool.map(post, range(10))) == {200}
    assert [e["id"] for e in outbox("PaymentSucceeded")] == [pi["id"]] and deliveries(app) == 1


def test_a_failed_authentication_fails_the_intent_with_its_reason(
    client: FlaskClient,
    admin: dict[str, str],
    know_order: Callable[..., Order],
    fake: FakeProvider,
    outbox: Callable[[str], list[dict[str, Any]]],
) -> None:
    order = know_order()
    pi = create(client, admin, order, "tok_threeDSecureRequired")
    r = send(
        client,
        fake,
        "evt_f",
        WEBHOOK_PAYMENT_FAILED,
        pi["gatewayReference"],
        failureCode="authentication_failed",
        failureMessage="The card's authentication failed.",
    )
    assert r.status_code == 200 and r.json["applied"] is True
    got = client.get(f"/api/v1/PaymentIntents/{pi['id']}", headers=admin).json
    assert (got["status"], got["failureCode"], got["failureMessage"]) == (
        "failed",
        "authentication_failed",
        "The card's authentication failed.",
    )
    [failed] = outbox("PaymentFailed")
    assert failed["id"] == pi["id"] and failed["failureCode"] == "authentication_failed"
    # the order is free again: a new intent may pay it
    assert create(client, admin, order, "tok_visa")["status"] == "succeeded"


def test_forged_and_unverifiable_deliveries_are_400_and_change_nothing(
    client: FlaskClient,
    admin: dict[str, str],
    know_order: Callable[..., Order],
    fake: FakeProvider,
    app: Flask,
    outbox: Callable[[str], list[dict[str, Any]]],
) -> None:
    pi = create(client, admin, know_order(), "tok_threeDSecureRequired")
    headers, raw = fake.webhook("evt_forged", WEBHOOK_PAYMENT_SUCCEEDED, pi["gatewayReference"])
    forged = client.post(HOOK, data=raw, headers=headers | {SIGNATURE_HEADER: "0" * 64})
    assert forged.status_code == 400 and forged.content_type == "application/problem+json"
    unsigned = client.post(HOOK, data=raw, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 400
    tampered = client.post(HOOK, data=raw.replace(b"evt_forged", b"evt_forgex"), headers=headers)
    assert tampered.status_code == 400
    # stripe is listed but not configured here: nothing can be verified, so nothing is accepted
    assert (
        client.post("/api/v1/PaymentGateways/stripe/webhooks", data=raw, headers=headers).status_code == 400
    )
    assert (
        client.post("/api/v1/PaymentGateways/paypal/webhooks", data=raw, headers=headers).status_code == 404
    )
    assert client.get(f"/api/v1/PaymentIntents/{pi['id']}", headers=admin).json["status"] == "requires_action"
    assert deliveries(app) == 0 and outbox("PaymentSucceeded") == []


def test_a_delivery_that_outruns_the_create_answer_is_applied_when_it_lands(
    client: FlaskClient,
    admin: dict[str, str],
    know_order: Callable[..., Order],
    fake: FakeProvider,
    outbox: Callable[[str], list[dict[str, Any]]],
) -> None:
    early = send(
        client, fake, "evt_early", WEBHOOK_PAYMENT_SUCCEEDED, "fk_000001"
    )  # the fake's first reference
    assert early.status_code == 202 and early.json["applied"] is False
    pi = create(client, admin, know_order(), "tok_threeDSecureRequired")
    assert pi["gatewayReference"] == "fk_000001" and pi["status"] == "succeeded", pi
    assert [e["id"] for e in outbox("PaymentSucceeded")] == [pi["id"]]
    ignored = send(client, fake, "evt_other", WEBHOOK_IGNORED, "fk_000001")
    assert ignored.status_code == 200 and ignored.json["applied"] is False


def test_a_dispute_raises_payment_disputed_once(
    client: FlaskClient,
    admin: dict[str, str],
    know_order: Callable[..., Order],
    fake: FakeProvider,
    outbox: Callable[[str], list[dict[str, Any]]],
) -> None:
    order = know_order()
    pi = create(client, admin, order, "tok_chargeDisputed")
    for _ in range(2):
        r = send(
            client, fake, "evt_dp", WEBHOOK_DISPUTE_CREATED, pi["gatewayReference"], amount=order["total"]
        )
        assert r.status_code == 200
    assert client.get(f"/api/v1/PaymentIntents/{pi['id']}", headers=admin).json["disputed"] is True
    [disputed] = outbox("PaymentDisputed")
    assert disputed == {
        "id": pi["id"],
        "orderId": order["id"],
        "customerId": order["customerId"],
        "amount": order["total"],
        "currency": order["currency"],
        "invoiceId": None,
        "subscriptionId": None,
    }


def test_a_refund_made_at_the_gateway_is_recorded_once(
    client: FlaskClient,
    admin: dict[str, str],
    know_order: Callable[..., Order],
    fake: FakeProvider,
    outbox: Callable[[str], list[dict[str, Any]]],
) -> None:
    order = know_order(total=1000)
    pi = create(client, admin, order, "tok_visa")
    for total in (400, 400, 300):  # a repeat and an older total change nothing
        send(client, fake, f"evt_rf{total}", WEBHOOK_REFUNDED, pi["gatewayReference"], amount=total)
    got = client.get(f"/api/v1/PaymentIntents/{pi['id']}", headers=admin).json
    assert got["amountRefunded"] == 400
    [refund] = client.get(f"/api/v1/Refunds?paymentIntentId={pi['id']}", headers=admin).json["data"]
    assert (refund["amount"], refund["status"]) == (400, "succeeded")
    assert [(e["amount"], e["amountRefunded"]) for e in outbox("PaymentRefunded")] == [(400, 400)]


def test_a_delivery_that_crossed_the_create_answer_is_applied_by_the_worker(
    client: FlaskClient,
    admin: dict[str, str],
    know_order: Callable[..., Order],
    fake: FakeProvider,
    app: Flask,
    outbox: Callable[[str], list[dict[str, Any]]],
) -> None:
    """The delivery committed (no intent yet) in the same instant as the create answer (which saw no
    delivery yet): neither applied it; the worker's sweep does."""
    pi = create(client, admin, know_order(), "tok_threeDSecureRequired")
    with deps_of(app).db.unit_of_work() as uow:
        uow.session.execute(
            webhook_events.insert().values(
                gateway_id="test",
                event_id="evt_crossed",
                kind=WEBHOOK_PAYMENT_SUCCEEDED,
                raw_type="charge.succeeded",
                reference=pi["gatewayReference"],
                created=1,
                received_at=datetime.now(UTC),
            )
        )
        uow.commit()
    assert recovery.recover(deps_of(app, Deps)) == 1
    assert client.get(f"/api/v1/PaymentIntents/{pi['id']}", headers=admin).json["status"] == "succeeded"
    assert [e["id"] for e in outbox("PaymentSucceeded")] == [pi["id"]]
    assert recovery.recover(deps_of(app, Deps)) == 0
