"""The orders API on the real PostgreSQL: priced orders, refusals that store nothing, coupon races,
idempotency, customer isolation, and the customer projection's bounded wait."""

from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from billing_devtools.testing.tokens import TokenFactory
from billing_shared.events.envelope import Envelope
from billing_shared.web.context import deps_of
from orders.handlers import HANDLERS
from orders.store.customers import CustomerProjection
from orders.store.tables import coupons, kit_tables, orders

pytestmark = pytest.mark.integration


def know_customer(
    app: Flask, country: str | None = "GB", region: str | None = None, customer_id: str | None = None
) -> str:
    """What CustomerCreated would have told orders."""
    cid = customer_id or f"cus_{uuid.uuid4().hex[:26].upper()}"
    data = {
        "id": cid,
        "email": "c@example.com",
        "version": 1,
        "billingAddress": {"country": country, "region": region} if country else None,
    }
    db = deps_of(app).db
    with db.unit_of_work() as uow:
        CustomerProjection(uow.session).apply(data, datetime.now(UTC))
        uow.commit()
    return cid


def make_product(
    client: FlaskClient, admin: dict[str, str], price: int = 1999, currency: str = "GBP", **over: Any
) -> str:
    body = {
        "name": "Widget",
        "taxCategory": "standard",
        "prices": [{"currency": currency, "unitPrice": price}],
    }
    r = client.post("/api/v1/Products", json=body | over, headers=admin)
    assert r.status_code == 201, r.json
    return str(r.json["id"])


def counts(app: Flask) -> tuple[int, int, int]:
    db = deps_of(app).db
    with db.engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(orders)).scalar_one(),
            conn.execute(select(func.count()).select_from(kit_tables.outbox)).scalar_one(),
            conn.execute(select(func.coalesce(func.sum(coupons.c.times_redeemed), 0))).scalar_one(),
        )


def outbox(app: Flask, type_: str) -> list[dict[str, Any]]:
    db = deps_of(app).db
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(kit_tables.outbox.c.data)
            .where(kit_tables.outbox.c.type == type_)
            .order_by(kit_tables.outbox.c.id)
        )
        return [json.loads(r.data) for r in rows]


def test_an_order_is_priced_by_the_server_with_tax_and_coupon(
    client: FlaskClient, admin: dict[str, str], app: Flask
) -> None:
    cid = know_customer(app, "GB")
    pid = make_product(client, admin, 1999)
    assert (
        client.post(
            "/api/v1/TaxRules", json={"name": "UK VAT", "country": "GB", "rate": "0.2"}, headers=admin
        ).status_code
        == 201
    )
    assert (
        client.post(
            "/api/v1/Coupons", json={"code": "TWELVE", "percentOff": "12.5"}, headers=admin
        ).status_code
        == 201
    )
    r = client.post(
        "/api/v1/Orders",
        headers=admin | {"Idempotency-Key": uuid.uuid4().hex},
        json={
            "customerId": cid,
            "currency": "GBP",
            "items": [{"productId": pid, "quantity": 3}],
            "couponCode": "TWELVE",
        },
    )
    assert r.status_code == 201, r.json
    o = r.json
    assert o["status"] == "draft" and o["allowedActions"] == ["pay", "cancel"]
    [line] = o["lines"]
    # 3 × 19.99 = 59.97; 12.5 % = 7.49625 → 7.50; VAT 20 % of 52.47 = 10.494 → 10.49
    assert (line["subtotal"], line["discount"], line["taxRate"], line["tax"], line["total"]) == (
        5997,
        750,
        "0.2",
        1049,
        6296,
    )
    assert (o["subtotal"], o["discountTotal"], o["taxTotal"], o["total"]) == (5997, 750, 1049, 6296)
    assert {s["step"] for s in o["trace"]} >= {"line.subtotal", "coupon.discount", "line.tax"}
    [event] = outbox(app, "billing.OrderCreated.v4")
    assert (event["id"], event["total"], event["taxTotal"], event["lines"][0]["tax"]) == (
        o["id"],
        6296,
        1049,
        1049,
    )
    # v2 carries the coupon's terms, so a subscription can apply them again without calling back
    assert event["coupon"]["percentOff"] == "12.5" and event["billingCycle"] is None
    assert client.get(f"/api/v1/Orders/{o['id']}", headers=admin).json["total"] == 6296


def test_prices_are_the_catalogs_unless_overridden(
    client: FlaskClient, admin: dict[str, str], app: Flask, tokens: TokenFactory
) -> None:
    cid, pid = know_customer(app, None), make_product(client, admin, 1000)
    body = {
        "customerId": cid,
        "currency": "GBP",
        "items": [{"productId": pid, "quantity": 1, "unitPrice": 1}],
    }
    writer = {"Authorization": f"Bearer {tokens.token('orders:write orders:read')}"}
    r = client.post("/api/v1/Orders", json=body, headers=writer)
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "items[0].unitPrice"
    r = client.post("/api/v1/Orders", json=body, headers=admin)  # holds orders:price_override
    assert r.status_code == 201 and r.json["total"] == 1


BAD = [
    ({"items": [{"productId": "prod_nope", "quantity": 1}]}, "items[0].productId"),
    ({"items": [{"productId": "$P", "quantity": 0}]}, "items[0].quantity"),
    ({"items": [{"productId": "$P", "quantity": 1.5}]}, "items[0].quantity"),
    ({"items": [{"productId": "$P", "quantity": "2"}]}, "items[0].quantity"),
    ({"items": [{"productId": "$P", "quantity": 1, "unitPrice": -5}]}, "items[0].unitPrice"),
    ({"items": [{"productId": "$P", "quantity": 1, "unitPrice": 19.99}]}, "items[0].unitPrice"),
    ({"items": [{"productId": "$P", "quantity": 1}] * 1001}, "items"),
    ({"currency": "XYZ"}, "currency"),
    ({"currency": "SEK"}, "currency"),  # a real currency, not enabled
    ({"couponCode": "NOPE"}, "couponCode"),
    ({"billingCycleId": "bc_nope"}, "billingCycleId"),
    ({"customerId": "cus_UNKNOWN"}, "customerId"),
    ({"unknownField": 1}, "unknownField"),
]


@pytest.mark.parametrize(("over", "field"), BAD)
def test_bad_orders_are_refused_naming_the_field_and_store_nothing(
    client: FlaskClient, admin: dict[str, str], app: Flask, over: dict[str, Any], field: str
) -> None:
    cid, pid = know_customer(app), make_product(client, admin)
    assert (
        client.post(
            "/api/v1/Coupons", json={"code": "LIMITED", "percentOff": 10, "maxRedemptions": 3}, headers=admin
        ).status_code
        == 201
    )
    body: dict[str, Any] = {
        "customerId": cid,
        "currency": "GBP",
        "items": [{"productId": pid, "quantity": 1}],
        "couponCode": "LIMITED",
    } | over
    body["items"] = [{**i, "productId": pid} if i.get("productId") == "$P" else i for i in body["items"]]
    before = counts(app)
    r = client.post("/api/v1/Orders", json=body, headers=admin | {"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 422 and r.content_type == "application/problem+json", r.json
    assert field in [e["field"] for e in r.json["errors"]], r.json
    assert counts(app) == before, "nothing stored, no event, no coupon redeemed"


def test_max_redemptions_holds_under_twenty_parallel_orders(
    client: FlaskClient, admin: dict[str, str], app: Flask
) -> None:
    cid, pid = know_customer(app), make_product(client, admin)
    assert (
        client.post(
            "/api/v1/Coupons", json={"code": "FIVE", "percentOff": "50", "maxRedemptions": 5}, headers=admin
        ).status_code
        == 201
    )
    body = {
        "customerId": cid,
        "currency": "GBP",
        "items": [{"productId": pid, "quantity": 1}],
        "couponCode": "FIVE",
    }

    def order(_: int) -> int:
        return app.test_client().post("/api/v1/Orders", json=body, headers=admin).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(order, range(20)))
    assert statuses.count(201) == 5 and statuses.count(422) == 15, statuses
    assert counts(app)[0] == 5 and counts(app)[2] == 5


def test_idempotent_orders(client: FlaskClient, admin: dict[str, str], app: Flask) -> None:
    cid, pid = know_customer(app), make_product(client, admin)
    body = {"customerId": cid, "currency": "GBP", "items": [{"productId": pid, "quantity": 2}]}
    key = {"Idempotency-Key": uuid.uuid4().hex}

    def post(_: int) -> tuple[int, str | None]:
        r = app.test_client().post("/api/v1/Orders", json=body, headers=admin | key)
        return r.status_code, (r.json or {}).get("id")

    with ThreadPoolExecutor(max_workers=25) as pool:
        results = list(pool.map(post, range(50)))
    assert {s for s, _ in results} <= {201, 409}
    assert len({oid for s, oid in results if s == 201}) == 1 and counts(app)[0] == 1
    replay = client.post("/api/v1/Orders", json=body, headers=admin | key)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    other = client.post(
        "/api/v1/Orders", json=body | {"items": [{"productId": pid, "quantity": 3}]}, headers=admin | key
    )
    assert other.status_code == 422 and counts(app)[0] == 1


def test_an_order_right_after_its_customer_waits_for_the_projection(
    client: FlaskClient, admin: dict[str, str], app: Flask
) -> None:
    pid = make_product(client, admin)
    cid = f"cus_{uuid.uuid4().hex[:26].upper()}"
    event = Envelope(
        id=str(uuid.uuid4()),
        type="billing.CustomerCreated.v1",
        source="/customers",
        subject=cid,
        time=datetime.now(UTC).isoformat(),
        dataschema="",
        key=cid,
        data={"id": cid, "email": "late@example.com", "version": 1, "billingAddress": None},
    )

    def arrive_late() -> None:
        time.sleep(0.3)
        db = deps_of(app).db
        with db.unit_of_work() as uow:
            HANDLERS["CustomerCreated"](uow, deps_of(app), event)
            uow.commit()

    threading.Thread(target=arrive_late).start()
    r = client.post(
        "/api/v1/Orders",
        json={"customerId": cid, "currency": "GBP", "items": [{"productId": pid, "quantity": 1}]},
        headers=admin,
    )
    assert r.status_code == 201, r.json


def test_zero_total_order_is_paid_at_once(client: FlaskClient, admin: dict[str, str], app: Flask) -> None:
    cid, pid = know_customer(app, None), make_product(client, admin)
    assert (
        client.post("/api/v1/Coupons", json={"code": "FREE", "percentOff": 100}, headers=admin).status_code
        == 201
    )
    r = client.post(
        "/api/v1/Orders",
        json={
            "customerId": cid,
            "currency": "GBP",
            "couponCode": "FREE",
            "items": [{"productId": pid, "quantity": 1}],
        },
        headers=admin,
    )
    assert r.status_code == 201 and r.json["status"] == "paid" and r.json["total"] == 0
    assert [e["id"] for e in outbox(app, "billing.OrderPaid.v1")] == [r.json["id"]]


def test_cancel_and_payment_events(client: FlaskClient, admin: dict[str, str], app: Flask) -> None:
    cid, pid = know_customer(app), make_product(client, admin)
    body = {"customerId": cid, "currency": "GBP", "items": [{"productId": pid, "quantity": 1}]}
    first = client.post("/api/v1/Orders", json=body, headers=admin).json
    r = client.post(f"/api/v1/Orders/{first['id']}/cancel", headers=admin)
    assert r.status_code == 200 and r.json["status"] == "cancelled" and r.json["allowedActions"] == []
    assert [e["id"] for e in outbox(app, "billing.OrderCancelled.v1")] == [first["id"]]

    second = client.post("/api/v1/Orders", json=body, headers=admin).json
    paid = Envelope(
        id=str(uuid.uuid4()),
        type="billing.PaymentSucceeded.v1",
        source="/payments",
        subject="pi_1",
        time=datetime.now(UTC).isoformat(),
        dataschema="",
        key="pi_1",
        data={"id": "pi_1", "orderId": second["id"], "amount": second["total"]},
    )
    db = deps_of(app).db
    for _ in range(2):  # a handler applied twice (were the inbox bypassed) still pays once
        with db.unit_of_work() as uow:
            HANDLERS["PaymentSucceeded"](uow, deps_of(app), paid)
            uow.commit()
    got = client.get(f"/api/v1/Orders/{second['id']}", headers=admin).json
    assert (
        got["status"] == "paid"
        and got["paymentIntentIds"] == ["pi_1"]
        and got["allowedActions"] == ["refund"]
    )
    assert [e["id"] for e in outbox(app, "billing.OrderPaid.v1")] == [second["id"]]
    r = client.post(f"/api/v1/Orders/{second['id']}/cancel", headers=admin)
    assert r.status_code == 409 and r.content_type == "application/problem+json"


def test_payment_events_v2_pay_orders_and_a_renewal_charge_without_an_order_changes_none(
    client: FlaskClient, admin: dict[str, str], app: Flask
) -> None:
    """Payments publishes v2 for every intent; a subscription renewal charge has `orderId` null."""
    cid, pid = know_customer(app), make_product(client, admin)
    body = {"customerId": cid, "currency": "GBP", "items": [{"productId": pid, "quantity": 1}]}
    order = client.post("/api/v1/Orders", json=body, headers=admin).json

    def v2(name: str, intent_id: str, order_id: str | None, **data: Any) -> Envelope:
        return Envelope(
            id=str(uuid.uuid4()),
            type=f"billing.{name}.v2",
            source="/payments",
            subject=intent_id,
            time=datetime.now(UTC).isoformat(),
            dataschema="",
            key=intent_id,
            data={
                "id": intent_id,
                "orderId": order_id,
                "customerId": cid,
                "amount": order["total"],
                "currency": "GBP",
                "invoiceId": None if order_id else "in_01JRENEWAL0000000000000000",
                "subscriptionId": None if order_id else "sub_01JRENEWAL000000000000000",
            }
            | data,
        )

    renewal = "pi_renewal"
    events = [
        v2("PaymentIntentCreated", renewal, None, status="requires_payment_method", gatewayId="test"),
        v2("PaymentSucceeded", renewal, None, gatewayId="test", gatewayReference="ch_1", attempt=1),
        v2("PaymentRefunded", renewal, None, refundId="re_1", amountRefunded=order["total"]),
    ]
    db = deps_of(app).db
    for event in events:
        with db.unit_of_work() as uow:
            HANDLERS[event.name](uow, deps_of(app), event)
            uow.commit()
    got = client.get(f"/api/v1/Orders/{order['id']}", headers=admin).json
    assert (got["status"], got["paymentIntentIds"], got["version"]) == ("draft", [], order["version"])
    assert outbox(app, "billing.OrderPaid.v1") == []

    paid = v2("PaymentSucceeded", "pi_order", order["id"], gatewayId="test", gatewayReference="ch_2")
    with db.unit_of_work() as uow:
        HANDLERS["PaymentSucceeded"](uow, deps_of(app), paid)
        uow.commit()
    assert client.get(f"/api/v1/Orders/{order['id']}", headers=admin).json["status"] == "paid"
    assert [e["id"] for e in outbox(app, "billing.OrderPaid.v1")] == [order["id"]]


def test_customer_tokens_see_only_their_orders(
    client: FlaskClient, admin: dict[str, str], app: Flask, tokens: TokenFactory
) -> None:
    mine, other, pid = know_customer(app), know_customer(app), make_product(client, admin)
    mk = {"currency": "GBP", "items": [{"productId": pid, "quantity": 1}]}
    theirs = client.post("/api/v1/Orders", json={"customerId": other} | mk, headers=admin).json["id"]
    me = {"Authorization": f"Bearer {tokens.token('orders:read orders:write', customer_id=mine)}"}
    own = client.post("/api/v1/Orders", json={"customerId": mine} | mk, headers=me)
    assert own.status_code == 201
    assert client.post("/api/v1/Orders", json={"customerId": other} | mk, headers=me).status_code == 422
    assert client.get(f"/api/v1/Orders/{theirs}", headers=me).status_code == 404
    assert [o["id"] for o in client.get("/api/v1/Orders", headers=me).json["data"]] == [own.json["id"]]
    assert client.get(f"/api/v1/Orders?customerId={other}", headers=me).json["data"] == []
