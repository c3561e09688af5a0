"""Products on the real PostgreSQL: prices in enabled currencies, ETags, and refusals that store nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from billing_shared.web.context import deps_of
from orders.store.tables import product_prices, products

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


def problem(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.json
    assert r.content_type == PROBLEM
    body: dict[str, Any] = r.json
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


def stored(app: Flask) -> tuple[int, int]:
    with deps_of(app).db.engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(products)).scalar_one(),
            conn.execute(select(func.count()).select_from(product_prices)).scalar_one(),
        )


def body(**over: Any) -> dict[str, Any]:
    b: dict[str, Any] = {
        "name": "Pro plan",
        "description": "Everything",
        "taxCategory": "digital",
        "prices": [{"currency": "USD", "unitPrice": 1999}, {"currency": "JPY", "unitPrice": 2500}],
        "billingCycleId": "bc_monthly",
        "metadata": {"sku": "PRO-1"},
    }
    return b | over


def test_create_get_list(client: FlaskClient, admin: dict[str, str]) -> None:
    r = client.post("/api/v1/Products", json=body(), headers=admin)
    assert r.status_code == 201, r.json
    p = r.json
    assert p["id"].startswith("prod_") and r.headers["Location"] == f"/api/v1/Products/{p['id']}"
    assert r.headers["ETag"] == '"1"' and p["version"] == 1 and p["active"] is True
    assert p["prices"] == [{"currency": "JPY", "unitPrice": 2500}, {"currency": "USD", "unitPrice": 1999}]
    assert (p["taxCategory"], p["billingCycleId"], p["metadata"]) == (
        "digital",
        "bc_monthly",
        {"sku": "PRO-1"},
    )

    got = client.get(f"/api/v1/Products/{p['id']}", headers=admin)
    assert got.json == p and got.headers["ETag"] == '"1"'

    one_off = client.post(
        "/api/v1/Products", json=body(billingCycleId=None, active=False, name="Sticker"), headers=admin
    ).json
    listed = client.get("/api/v1/Products", headers=admin).json
    assert [x["id"] for x in listed["data"]] == [p["id"], one_off["id"]] and listed["hasMore"] is False
    assert [x["id"] for x in client.get("/api/v1/Products?active=false", headers=admin).json["data"]] == [
        one_off["id"]
    ]
    assert [
        x["id"] for x in client.get("/api/v1/Products?billingCycleId=bc_monthly", headers=admin).json["data"]
    ] == [p["id"]]
    first = client.get("/api/v1/Products?limit=1", headers=admin).json
    assert [x["id"] for x in first["data"]] == [p["id"]] and first["hasMore"] is True
    rest = client.get(f"/api/v1/Products?limit=1&startingAfter={p['id']}", headers=admin).json
    assert [x["id"] for x in rest["data"]] == [one_off["id"]] and rest["hasMore"] is False
    problem(client.get("/api/v1/Products/prod_missing", headers=admin), 404)


def test_patch_replaces_prices_and_bumps_the_version(
    client: FlaskClient, admin: dict[str, str], app: Flask
) -> None:
    p = client.post("/api/v1/Products", json=body(), headers=admin).json
    r = client.patch(
        f"/api/v1/Products/{p['id']}",
        json={
            "name": "Pro plan 2",
            "prices": [{"currency": "EUR", "unitPrice": 1799}],
            "metadata": {"sku": None},
        },
        headers=admin | {"If-Match": '"1"'},
    )
    assert r.status_code == 200, r.json
    assert r.json["prices"] == [{"currency": "EUR", "unitPrice": 1799}] and r.json["name"] == "Pro plan 2"
    assert r.json["metadata"] == {} and r.json["version"] == 2 and r.headers["ETag"] == '"2"'
    assert stored(app) == (1, 1)

    same = client.patch(f"/api/v1/Products/{p['id']}", json={"name": "Pro plan 2"}, headers=admin)
    assert same.status_code == 200 and same.headers["ETag"] == '"2"'  # nothing changed, no new version

    off = client.patch(
        f"/api/v1/Products/{p['id']}", json={"active": False, "description": None}, headers=admin
    )
    assert off.json["active"] is False and off.json["description"] is None and off.json["version"] == 3
    problem(client.patch("/api/v1/Products/prod_missing", json={"name": "x"}, headers=admin), 404)


def test_stale_if_match_is_412_and_changes_nothing(client: FlaskClient, admin: dict[str, str]) -> None:
    pid = client.post("/api/v1/Products", json=body(), headers=admin).json["id"]
    assert (
        client.patch(
            f"/api/v1/Products/{pid}", json={"name": "B"}, headers=admin | {"If-Match": '"1"'}
        ).status_code
        == 200
    )
    r = client.patch(
        f"/api/v1/Products/{pid}",
        json={"prices": [{"currency": "USD", "unitPrice": 1}]},
        headers=admin | {"If-Match": '"1"'},
    )
    assert problem(r, 412) and r.headers["ETag"] == '"2"'
    got = client.get(f"/api/v1/Products/{pid}", headers=admin).json
    assert got["name"] == "B" and {"currency": "USD", "unitPrice": 1999} in got["prices"]


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"prices": [{"currency": "USD", "unitPrice": 19.99}]}, "prices[0].unitPrice"),
        ({"prices": [{"currency": "USD", "unitPrice": 1999.0}]}, "prices[0].unitPrice"),
        ({"prices": [{"currency": "USD", "unitPrice": "1999"}]}, "prices[0].unitPrice"),
        ({"prices": [{"currency": "USD", "unitPrice": True}]}, "prices[0].unitPrice"),
        ({"prices": [{"currency": "USD", "unitPrice": -1}]}, "prices[0].unitPrice"),
        ({"prices": [{"currency": "USD", "unitPrice": 10**16}]}, "prices[0].unitPrice"),
        ({"prices": [{"currency": "usd", "unitPrice": 1}]}, "prices[0].currency"),
        ({"prices": [{"currency": "XYZ", "unitPrice": 1}]}, "prices[0].currency"),
        ({"prices": [{"unitPrice": 1}]}, "prices[0].currency"),
        ({"prices": [{"currency": "USD", "unitPrice": 1}, {"currency": "USD", "unitPrice": 2}]}, "prices"),
        ({"prices": []}, "prices"),
        ({"prices": None}, "prices"),
        ({"taxCategory": "std food"}, "taxCategory"),
        ({"taxCategory": ""}, "taxCategory"),
        ({"taxCategory": "x" * 51}, "taxCategory"),
        ({"name": ""}, "name"),
        ({"name": 5}, "name"),
        ({"active": "true"}, "active"),
        ({"metadata": {"k": 5}}, "metadata.k.value"),
        ({"billingCycleId": 7}, "billingCycleId"),
        ({"price": 5}, "price"),
    ],
)
def test_bad_products_are_refused_naming_the_field(
    client: FlaskClient, admin: dict[str, str], app: Flask, over: dict[str, Any], field: str
) -> None:
    problem(client.post("/api/v1/Products", json=body(**over), headers=admin), 422, field)
    assert stored(app) == (0, 0)


def test_missing_required_fields_are_each_named(client: FlaskClient, admin: dict[str, str]) -> None:
    b = problem(client.post("/api/v1/Products", json={}, headers=admin), 422)
    assert {e["field"] for e in b["errors"]} == {"name", "taxCategory", "prices"}


def test_unknown_billing_cycle_and_disabled_currency_are_422(
    client: FlaskClient, admin: dict[str, str], app: Flask
) -> None:
    r = client.post("/api/v1/Products", json=body(billingCycleId="bc_fortnightly"), headers=admin)
    assert "bc_fortnightly" in problem(r, 422, "billingCycleId")["errors"][0]["message"]
    prices = [{"currency": "USD", "unitPrice": 1}, {"currency": "SEK", "unitPrice": 1}]
    b = problem(
        client.post("/api/v1/Products", json=body(prices=prices), headers=admin), 422, "prices[1].currency"
    )
    assert [e["field"] for e in b["errors"]] == ["prices[1].currency"]
    assert stored(app) == (0, 0)

    pid = client.post("/api/v1/Products", json=body(), headers=admin).json["id"]
    problem(
        client.patch(f"/api/v1/Products/{pid}", json={"prices": prices}, headers=admin),
        422,
        "prices[1].currency",
    )
    assert client.get(f"/api/v1/Products/{pid}", headers=admin).json["version"] == 1


def test_patch_body_is_validated(client: FlaskClient, admin: dict[str, str]) -> None:
    pid = client.post("/api/v1/Products", json=body(), headers=admin).json["id"]
    problem(client.patch(f"/api/v1/Products/{pid}", json={}, headers=admin), 422, "(body)")
    problem(
        client.patch(f"/api/v1/Products/{pid}", json={"billingCycleId": "bc_yearly"}, headers=admin),
        422,
        "billingCycleId",
    )
    problem(client.patch(f"/api/v1/Products/{pid}", json={"prices": []}, headers=admin), 422, "prices")


def test_writes_need_catalog_write_and_creates_are_idempotent(
    client: FlaskClient, admin: dict[str, str], bearer: Callable[..., dict[str, str]], app: Flask
) -> None:
    problem(client.post("/api/v1/Products", json=body(), headers=bearer("catalog:read")), 403)
    problem(client.get("/api/v1/Products", headers=bearer("orders:read")), 403)
    key = admin | {"Idempotency-Key": "prod-1"}
    first = client.post("/api/v1/Products", json=body(), headers=key)
    again = client.post("/api/v1/Products", json=body(), headers=key)
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["ETag"] == '"1"'
    problem(client.post("/api/v1/Products", json=body(name="Other"), headers=key), 422, "Idempotency-Key")
    assert stored(app) == (1, 2)
