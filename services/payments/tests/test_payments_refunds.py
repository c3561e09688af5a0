"""Refunds on the real PostgreSQL: partial then full, never more than is left (also under races),
idempotent, and confirmed to subscribers with the running total."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fake_provider import FakeProvider
from flask import Flask
from flask.testing import FlaskClient

pytestmark = pytest.mark.integration

Order = dict[str, Any]


@pytest.fixture()
def paid(client: FlaskClient, admin: dict[str, str], know_order: Callable[..., Order]) -> dict[str, Any]:
    """A succeeded intent of 6296 GBP."""
    order = know_order(total=6296)
    r = client.post(
        "/api/v1/PaymentIntents",
        json={"orderId": order["id"], "amount": 6296, "currency": "GBP", "paymentMethodToken": "tok_visa"},
        headers=admin,
    )
    assert r.status_code == 201 and r.json["status"] == "succeeded", r.json
    return dict(r.json)


def refund(
    client: FlaskClient, headers: dict[str, str], pi: str, amount: int | None = None, **kw: Any
) -> Any:
    body: dict[str, Any] = {"paymentIntentId": pi, "reason": "requested_by_customer"}
    if amount is not None:
        body["amount"] = amount
    return client.post("/api/v1/Refunds", json=body | kw, headers=headers)


def test_partial_then_full_refund_and_nothing_more(
    client: FlaskClient,
    admin: dict[str, str],
    paid: dict[str, Any],
    fake: FakeProvider,
    outbox: Callable[[str], list[dict[str, Any]]],
) -> None:
    pi = paid["id"]
    part = refund(client, admin, pi, 1000)
    assert part.status_code == 201, part.json
    assert (part.json["amount"], part.json["status"], part.json["currency"]) == (1000, "succeeded", "GBP")
    assert part.headers["Location"] == f"/api/v1/Refunds/{part.json['id']}"
    assert client.get(f"/api/v1/PaymentIntents/{pi}", headers=admin).json["amountRefunded"] == 1000

    over = refund(client, admin, pi, 5297)
    assert over.status_code == 422 and over.json["errors"][0]["field"] == "amount", over.json
    assert "5296" in over.json["detail"] and over.json["refundable"] == 5296

    rest = refund(client, admin, pi)  # no amount: all that is left
    assert rest.status_code == 201 and rest.json["amount"] == 5296
    after = client.get(f"/api/v1/PaymentIntents/{pi}", headers=admin).json
    assert (
        after["amountRefunded"] == 6296 and after["allowedActions"] == [] and after["status"] == "succeeded"
    )
    nothing = refund(client, admin, pi, 1)
    assert nothing.status_code == 422 and "nothing left" in nothing.json["detail"]

    events = outbox("PaymentRefunded")
    assert [(e["amount"], e["amountRefunded"], e["refundId"]) for e in events] == [
        (1000, 1000, part.json["id"]),
        (5296, 6296, rest.json["id"]),
    ]
    assert all(e["orderId"] == paid["orderId"] and e["id"] == pi for e in events)
    assert len(fake.calls_of("refund")) == 2
    listed = client.get(f"/api/v1/Refunds?paymentIntentId={pi}", headers=admin).json["data"]
    assert [r["id"] for r in listed] == [part.json["id"], rest.json["id"]]
    assert client.get(f"/api/v1/Refunds/{part.json['id']}", headers=admin).json == part.json


def test_only_succeeded_payments_are_refunded(
    client: FlaskClient, admin: dict[str, str], know_order: Callable[..., Order], fake: FakeProvider
) -> None:
    order = know_order()
    held = client.post(
        "/api/v1/PaymentIntents",
        json={
            "orderId": order["id"],
            "amount": order["total"],
            "currency": "GBP",
            "paymentMethodToken": "tok_visa",
            "captureMethod": "manual",
        },
        headers=admin,
    ).json
    r = refund(client, admin, held["id"], 10)
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "paymentIntentId"
    unknown = refund(client, admin, "pi_nope", 10)
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "paymentIntentId"
    bad = refund(client, admin, held["id"], 10, reason="because")
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "reason"
    assert fake.calls_of("refund") == []


def test_racing_refunds_never_give_back_more_than_was_paid(
    admin: dict[str, str], paid: dict[str, Any], app: Flask, fake: FakeProvider
) -> None:
    fake.delay = 0.05

    def one(_: int) -> int:
        return int(refund(app.test_client(), admin, paid["id"], 1000).status_code)

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(one, range(10)))
    assert statuses.count(201) == 6 and statuses.count(422) == 4, statuses
    got = app.test_client().get(f"/api/v1/PaymentIntents/{paid['id']}", headers=admin).json
    assert got["amountRefunded"] == 6000
    assert sum(c.amount_refunded for c in fake.charges_by_ref.values()) == 6000


def test_a_refund_with_one_key_is_made_once_and_survives_an_unreachable_gateway(
    client: FlaskClient,
    admin: dict[str, str],
    paid: dict[str, Any],
    fake: FakeProvider,
    outbox: Callable[[str], list[dict[str, Any]]],
) -> None:
    same = admin | {"Idempotency-Key": uuid.uuid4().hex}
    fake.down = True
    r = refund(client, same, paid["id"], 700)
    assert r.status_code == 503 and r.json["refundId"].startswith("re_"), r.json
    pending = client.get(f"/api/v1/Refunds/{r.json['refundId']}", headers=admin).json
    assert pending["status"] == "pending"
    # what is in flight stays reserved
    assert refund(client, admin, paid["id"], 5597).status_code == 422
    fake.down = False
    done = refund(client, same, paid["id"], 700)
    assert (
        done.status_code == 201
        and done.json["id"] == r.json["refundId"]
        and done.json["status"] == "succeeded"
    )
    replay = refund(client, same, paid["id"], 700)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert refund(client, same, paid["id"], 701).status_code == 422
    assert len(set(fake.calls_of("refund"))) == 1
    assert [e["amountRefunded"] for e in outbox("PaymentRefunded")] == [700]
