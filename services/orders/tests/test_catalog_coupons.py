"""Coupons on the real PostgreSQL: creation rules, the checkout check with its exact discount, and
`maxRedemptions` holding under parallel redemptions."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from billing_shared.web.context import deps_of
from orders.store.catalog import CatalogRepository
from orders.store.tables import coupon_redemptions, coupons

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"
Make = Callable[..., dict[str, Any]]


def problem(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.json
    assert r.content_type == PROBLEM
    body: dict[str, Any] = r.json
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


def stored(app: Flask) -> int:
    with deps_of(app).db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(coupons)).scalar_one())


def create(client: FlaskClient, admin: dict[str, str], **fields: Any) -> dict[str, Any]:
    r = client.post("/api/v1/Coupons", json={"code": "SAVE", "percentOff": "12.5"} | fields, headers=admin)
    assert r.status_code == 201, r.json
    coupon: dict[str, Any] = r.json
    return coupon


def check(client: FlaskClient, headers: dict[str, str], **fields: Any) -> Any:
    body = {"code": "SAVE", "customerId": "cus_1", "currency": "USD"} | fields
    return client.post("/api/v1/Coupons/validate", json=body, headers=headers)


def redeem(app: Flask, coupon_id: str, order_id: str, discount: int = 1) -> bool:
    with deps_of(app).db.unit_of_work() as uow:
        ok = CatalogRepository(uow.session).redeem_coupon(
            coupon_id, order_id, "cus_1", discount, datetime.now(UTC)
        )
        uow.commit()
    return ok


def test_create_read_list(client: FlaskClient, admin: dict[str, str], make_product: Make) -> None:
    pid = make_product()["id"]
    r = client.post(
        "/api/v1/Coupons",
        json={
            "code": "SPRING-25",
            "percentOff": 12.50,
            "maxRedemptions": 100,
            "redeemBy": "2099-01-01T00:00:00+02:00",
            "productIds": [pid],
            "duration": "repeating",
            "durationInCycles": 3,
            "metadata": {"campaign": "spring"},
        },
        headers=admin | {"Idempotency-Key": "cpn-1"},
    )
    assert r.status_code == 201, r.json
    c = r.json
    assert c["id"].startswith("cpn_") and r.headers["Location"] == f"/api/v1/Coupons/{c['id']}"
    assert (c["percentOff"], c["amountOff"], c["currency"]) == ("12.5", None, None)
    assert (c["timesRedeemed"], c["maxRedemptions"], c["active"]) == (0, 100, True)
    assert (c["duration"], c["durationInCycles"], c["productIds"]) == ("repeating", 3, [pid])
    assert c["redeemBy"] == "2098-12-31T22:00:00+00:00" and c["metadata"] == {"campaign": "spring"}
    assert client.get(f"/api/v1/Coupons/{c['id']}", headers=admin).json == c

    flat = create(client, admin, code="FIVE", percentOff=None, amountOff=500, currency="USD")
    assert (flat["amountOff"], flat["currency"], flat["percentOff"], flat["duration"]) == (
        500,
        "USD",
        None,
        "once",
    )
    listed = client.get("/api/v1/Coupons", headers=admin).json
    assert [x["id"] for x in listed["data"]] == [c["id"], flat["id"]]
    assert [x["id"] for x in client.get("/api/v1/Coupons?code=FIVE", headers=admin).json["data"]] == [
        flat["id"]
    ]
    assert client.get("/api/v1/Coupons?code=five", headers=admin).json["data"] == []  # codes are exact
    problem(client.get("/api/v1/Coupons/cpn_missing", headers=admin), 404)


def test_a_code_is_used_once(client: FlaskClient, admin: dict[str, str], app: Flask) -> None:
    first = create(client, admin)
    body = problem(
        client.post(
            "/api/v1/Coupons", json={"code": "SAVE", "amountOff": 1, "currency": "EUR"}, headers=admin
        ),
        409,
        "code",
    )
    assert body["existingCouponId"] == first["id"] and first["id"] in body["detail"]
    assert stored(app) == 1


def test_concurrent_creates_of_one_code_make_one_coupon(
    client: FlaskClient, admin: dict[str, str], app: Flask
) -> None:
    start = threading.Barrier(6)

    def send(_: int) -> Any:
        start.wait()
        return client.post("/api/v1/Coupons", json={"code": "RACE", "percentOff": "10"}, headers=admin)

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(send, range(6)))
    assert sorted(r.status_code for r in answers) == [201] + [409] * 5
    assert all(r.content_type == PROBLEM for r in answers if r.status_code == 409)
    assert stored(app) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amountOff": 500, "currency": "USD"}, "percentOff"),  # both kinds
        ({"percentOff": None}, "amountOff"),  # neither
        ({"percentOff": "0"}, "percentOff"),
        ({"percentOff": "100.01"}, "percentOff"),
        ({"percentOff": -5}, "percentOff"),
        ({"percentOff": "abc"}, "percentOff"),
        ({"percentOff": True}, "percentOff"),
        ({"percentOff": "10", "currency": "USD"}, "currency"),
        ({"percentOff": None, "amountOff": 500}, "currency"),
        ({"percentOff": None, "amountOff": 0, "currency": "USD"}, "amountOff"),
        ({"percentOff": None, "amountOff": 5.5, "currency": "USD"}, "amountOff"),
        ({"percentOff": None, "amountOff": "500", "currency": "USD"}, "amountOff"),
        ({"percentOff": None, "amountOff": 500, "currency": "usd"}, "currency"),
        ({"percentOff": None, "amountOff": 500, "currency": "SEK"}, "currency"),  # not enabled
        ({"code": "bad code!"}, "code"),
        ({"code": "x" * 65}, "code"),
        ({"code": ""}, "code"),
        ({"duration": "weekly"}, "duration"),
        ({"duration": "repeating"}, "durationInCycles"),
        ({"durationInCycles": 3}, "durationInCycles"),
        ({"maxRedemptions": 0}, "maxRedemptions"),
        ({"maxRedemptions": 1.5}, "maxRedemptions"),
        ({"redeemBy": "2020-01-01T00:00:00Z"}, "redeemBy"),
        ({"redeemBy": "2099-01-01T00:00:00"}, "redeemBy"),
        ({"productIds": []}, "productIds"),
        ({"productIds": ["prod_nope"]}, "productIds[0]"),
        ({"metadata": {"k": 1}}, "metadata.k.value"),
        ({"stackable": True}, "stackable"),
    ],
)
def test_bad_coupons_are_refused_naming_the_field(
    client: FlaskClient, admin: dict[str, str], app: Flask, fields: dict[str, Any], field: str
) -> None:
    body = {"code": "SAVE", "percentOff": "12.5"} | fields
    problem(
        client.post("/api/v1/Coupons", json={k: v for k, v in body.items() if v is not None}, headers=admin),
        422,
        field,
    )
    assert stored(app) == 0


def test_restricting_to_products_names_each_unknown_one(
    client: FlaskClient, admin: dict[str, str], make_product: Make
) -> None:
    pid = make_product()["id"]
    r = client.post(
        "/api/v1/Coupons",
        json={"code": "X", "percentOff": 5, "productIds": [pid, "prod_a", "prod_b"]},
        headers=admin,
    )
    assert [e["field"] for e in problem(r, 422)["errors"]] == ["productIds[1]", "productIds[2]"]
    dup = client.post(
        "/api/v1/Coupons", json={"code": "X", "percentOff": 5, "productIds": [pid, pid]}, headers=admin
    )
    problem(dup, 422, "productIds")


def test_validate_quotes_the_exact_discount(
    client: FlaskClient, admin: dict[str, str], make_product: Make
) -> None:
    a = make_product({"USD": 1999, "JPY": 300})["id"]
    b = make_product({"USD": 1})["id"]
    create(client, admin)  # 12.5 %
    create(client, admin, code="FIVE", percentOff=None, amountOff=500, currency="USD")
    create(client, admin, code="BIG", percentOff=None, amountOff=10_000_000, currency="USD")

    # 3 x 1999 + 1 x 1 = 5998; 12.5 % = 749.75 -> 750 (half-up)
    items = [{"productId": a, "quantity": 3}, {"productId": b, "quantity": 1}]
    r = check(client, admin, items=items)
    assert r.status_code == 200 and r.json == {"valid": True, "reason": None, "discount": 750}
    # 1 x 1999: 249.875 -> 250; in JPY 3 x 300 = 900: 112.5 -> 113
    assert check(client, admin, items=[{"productId": a, "quantity": 1}]).json["discount"] == 250
    jpy = check(client, admin, currency="JPY", items=[{"productId": a, "quantity": 3}]).json
    assert jpy == {"valid": True, "reason": None, "discount": 113}
    assert check(client, admin, code="FIVE", items=items).json["discount"] == 500
    assert (
        check(client, admin, code="BIG", items=items).json["discount"] == 5998
    )  # never more than the subtotal
    # Without items: whether the code applies, and no amount.
    assert check(client, admin).json == {"valid": True, "reason": None, "discount": None}


def test_validate_says_why_a_coupon_does_not_apply(
    client: FlaskClient, admin: dict[str, str], app: Flask, make_product: Make
) -> None:
    a = make_product({"USD": 1000, "EUR": 900})["id"]
    b = make_product({"USD": 2000})["id"]
    items = [{"productId": a, "quantity": 1}]

    unknown = check(client, admin, code="NOPE", items=items)
    assert unknown.status_code == 200 and unknown.json == {
        "valid": False,
        "reason": "unknown coupon",
        "discount": 0,
    }
    assert check(client, admin, code="NOPE").json == {
        "valid": False,
        "reason": "unknown coupon",
        "discount": None,
    }

    expired = create(client, admin, code="OLD", redeemBy="2099-01-01T00:00:00Z")
    with deps_of(app).db.engine.begin() as conn:
        conn.execute(
            update(coupons)
            .where(coupons.c.id == expired["id"])
            .values(redeem_by=datetime(2020, 1, 1, tzinfo=UTC))
        )
    r = check(client, admin, code="OLD", items=items).json
    assert r["valid"] is False and r["reason"].startswith("expired on 2020-01-01") and r["discount"] == 0

    once = create(client, admin, code="ONCE", maxRedemptions=1)
    assert check(client, admin, code="ONCE").json["valid"] is True
    assert redeem(app, once["id"], "ord_1")
    r = check(client, admin, code="ONCE", items=items).json
    assert r == {"valid": False, "reason": "exhausted: redeemed 1 of 1 times", "discount": 0}

    create(client, admin, code="USD5", percentOff=None, amountOff=500, currency="USD")
    r = check(client, admin, code="USD5", currency="EUR", items=items).json
    assert r == {"valid": False, "reason": "the coupon is in USD, the order in EUR", "discount": 0}

    create(client, admin, code="ONLY-B", percentOff="50", productIds=[b])
    r = check(client, admin, code="ONLY-B", items=items).json
    assert r == {"valid": False, "reason": "not valid for these products", "discount": 0}
    assert (
        check(client, admin, code="ONLY-B").json["valid"] is True
    )  # no items: the restriction is not judged
    # With B in the order only B's share is discounted: 50 % of 2 x 2000.
    both = [*items, {"productId": b, "quantity": 2}]
    assert check(client, admin, code="ONLY-B", items=both).json == {
        "valid": True,
        "reason": None,
        "discount": 2000,
    }

    client.patch(f"/api/v1/Coupons/{once['id']}", json={"active": False}, headers=admin)
    create(client, admin, code="OFF")
    off = client.get("/api/v1/Coupons?code=OFF", headers=admin).json["data"][0]
    assert (
        client.patch(f"/api/v1/Coupons/{off['id']}", json={"active": False}, headers=admin).json["active"]
        is False
    )
    assert check(client, admin, code="OFF").json == {
        "valid": False,
        "reason": "unknown coupon",
        "discount": None,
    }


def test_validate_refuses_items_an_order_would_refuse(
    client: FlaskClient, admin: dict[str, str], make_product: Make, bearer: Callable[..., dict[str, str]]
) -> None:
    a = make_product({"USD": 1000})["id"]
    off = make_product({"USD": 1000}, active=False)["id"]
    create(client, admin)
    r = check(
        client,
        admin,
        items=[
            {"productId": a, "quantity": 1},
            {"productId": "prod_x", "quantity": 1},
            {"productId": off, "quantity": 1},
        ],
    )
    assert [e["field"] for e in problem(r, 422)["errors"]] == ["items[1].productId", "items[2].productId"]
    problem(
        check(client, admin, currency="EUR", items=[{"productId": a, "quantity": 1}]),
        422,
        "items[0].productId",
    )
    problem(check(client, admin, currency="SEK"), 422, "currency")
    problem(check(client, admin, items=[{"productId": a, "quantity": 0}]), 422, "items[0].quantity")
    problem(check(client, admin, items=[{"productId": a, "quantity": 1.5}]), 422, "items[0].quantity")
    problem(check(client, admin, items=[]), 422, "items")
    problem(check(client, admin, customerId=None), 422, "customerId")

    # A storefront checks codes with orders:read; a customer token only for its own customer.
    assert check(client, bearer("orders:read")).status_code == 200
    problem(check(client, bearer("catalog:read")), 403)
    assert check(client, bearer("orders:read", customer_id="cus_1")).status_code == 200
    problem(check(client, bearer("orders:read", customer_id="cus_2")), 403)


def test_coupon_settings_change_but_terms_do_not(
    client: FlaskClient, admin: dict[str, str], bearer: Callable[..., dict[str, str]]
) -> None:
    c = create(client, admin, metadata={"a": "1"})
    r = client.patch(f"/api/v1/Coupons/{c['id']}", json={"metadata": {"a": None, "b": "2"}}, headers=admin)
    assert r.status_code == 200 and r.json["metadata"] == {"b": "2"} and r.json["active"] is True
    problem(
        client.patch(f"/api/v1/Coupons/{c['id']}", json={"percentOff": "50"}, headers=admin),
        422,
        "percentOff",
    )
    problem(client.patch(f"/api/v1/Coupons/{c['id']}", json={}, headers=admin), 422)
    problem(
        client.patch(f"/api/v1/Coupons/{c['id']}", json={"active": False}, headers=bearer("catalog:read")),
        403,
    )
    problem(client.patch("/api/v1/Coupons/cpn_missing", json={"active": False}, headers=admin), 404)


def test_max_redemptions_hold_under_twenty_parallel_redemptions(
    client: FlaskClient, admin: dict[str, str], app: Flask
) -> None:
    c = create(client, admin, maxRedemptions=5)
    start = threading.Barrier(20)

    def attempt(i: int) -> bool:
        start.wait()
        return redeem(app, c["id"], f"ord_{i}", discount=100)

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(attempt, range(20)))
    assert results.count(True) == 5 and results.count(False) == 15
    assert client.get(f"/api/v1/Coupons/{c['id']}", headers=admin).json["timesRedeemed"] == 5
    with deps_of(app).db.engine.connect() as conn:
        rows = conn.execute(
            select(coupon_redemptions.c.order_id).where(coupon_redemptions.c.coupon_id == c["id"])
        )
        assert len(list(rows)) == 5


def test_redeeming_an_expired_or_inactive_coupon_writes_nothing(
    client: FlaskClient, admin: dict[str, str], app: Flask
) -> None:
    c = create(client, admin, redeemBy=(datetime.now(UTC) + timedelta(days=1)).isoformat())
    assert redeem(app, c["id"], "ord_1")
    with deps_of(app).db.engine.begin() as conn:
        conn.execute(
            update(coupons).where(coupons.c.id == c["id"]).values(redeem_by=datetime(2020, 1, 1, tzinfo=UTC))
        )
    assert not redeem(app, c["id"], "ord_2")
    other = create(client, admin, code="OFF")
    client.patch(f"/api/v1/Coupons/{other['id']}", json={"active": False}, headers=admin)
    assert not redeem(app, other["id"], "ord_3")
    assert not redeem(app, "cpn_missing", "ord_4")
    assert client.get(f"/api/v1/Coupons/{c['id']}", headers=admin).json["timesRedeemed"] == 1
    assert client.get(f"/api/v1/Coupons/{other['id']}", headers=admin).json["timesRedeemed"] == 0
