"""Currencies and billing cycles on the real PostgreSQL: ISO exponents, the admin switch, cycles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"
SEEDED_ENABLED = ["AUD", "CAD", "CHF", "EUR", "GBP", "JPY", "KWD", "USD"]


def problem(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """Assert a problem+json answer (naming `field` when given) and return its body."""
    assert r.status_code == status, r.json
    assert r.content_type == PROBLEM
    body: dict[str, Any] = r.json
    assert body["status"] == status and body["detail"]
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


def test_enabled_currencies_and_their_iso_exponents(client: FlaskClient, admin: dict[str, str]) -> None:
    listed = client.get("/api/v1/Currencies?enabled=true&limit=100", headers=admin).json
    assert [c["code"] for c in listed["data"]] == SEEDED_ENABLED and listed["hasMore"] is False
    exponents = {c["code"]: c["exponent"] for c in listed["data"]}
    assert (exponents["JPY"], exponents["USD"], exponents["KWD"]) == (0, 2, 3)
    usd = client.get("/api/v1/Currencies/USD", headers=admin).json
    assert usd == {"code": "USD", "name": "US Dollar", "exponent": 2, "enabled": True}


def test_every_iso_currency_is_listed_once_across_pages(client: FlaskClient, admin: dict[str, str]) -> None:
    seen: list[str] = []
    after = None
    while True:
        q = "/api/v1/Currencies?limit=50" + (f"&startingAfter={after}" if after else "")
        page = client.get(q, headers=admin).json
        seen += [c["code"] for c in page["data"]]
        if not page["hasMore"]:
            break
        after = page["data"][-1]["code"]
    assert seen == sorted(set(seen)) and len(seen) > 150
    assert {"SEK", "BHD", "CLF"} <= set(seen) and "XAU" not in seen  # metals have no minor unit
    disabled = client.get("/api/v1/Currencies?enabled=false&limit=3&startingAfter=SE", headers=admin).json
    assert [c["code"] for c in disabled["data"]] == ["SEK", "SGD", "SHP"] and disabled["hasMore"] is True


def test_unknown_currency_is_404(client: FlaskClient, admin: dict[str, str]) -> None:
    for code in ("XYZ", "usd", "XAU"):
        assert (
            "No currency" in problem(client.get(f"/api/v1/Currencies/{code}", headers=admin), 404)["detail"]
        )
        problem(client.patch(f"/api/v1/Currencies/{code}", json={"enabled": True}, headers=admin), 404)


def test_switching_a_currency_needs_admin(client: FlaskClient, bearer: Callable[..., dict[str, str]]) -> None:
    writer = bearer("catalog:read", "catalog:write")
    body = problem(client.patch("/api/v1/Currencies/SEK", json={"enabled": True}, headers=writer), 403)
    assert "'admin'" in body["detail"]
    problem(client.patch("/api/v1/Currencies/SEK", json={"enabled": True}, headers=bearer("admin")), 403)
    assert client.get("/api/v1/Currencies/SEK", headers=writer).json["enabled"] is False

    owner = bearer("catalog:read", "catalog:write", "admin")
    r = client.patch("/api/v1/Currencies/SEK", json={"enabled": True}, headers=owner)
    assert r.status_code == 200 and r.json == {
        "code": "SEK",
        "name": "Swedish Krona",
        "exponent": 2,
        "enabled": True,
    }
    assert "SEK" in [
        c["code"] for c in client.get("/api/v1/Currencies?enabled=true", headers=owner).json["data"]
    ]
    r = client.patch("/api/v1/Currencies/JPY", json={"enabled": False}, headers=owner)
    assert r.status_code == 200 and r.json["enabled"] is False


@pytest.mark.parametrize("payload", [{"enabled": "true"}, {"enabled": 1}, {}, {"enabled": True, "name": "x"}])
def test_currency_switch_body_is_validated(client: FlaskClient, admin: dict[str, str], payload: Any) -> None:
    field = "name" if "name" in payload else "enabled"
    problem(client.patch("/api/v1/Currencies/SEK", json=payload, headers=admin), 422, field)


def test_reads_need_catalog_read(client: FlaskClient, bearer: Callable[..., dict[str, str]]) -> None:
    problem(client.get("/api/v1/Currencies"), 401)
    problem(client.get("/api/v1/Currencies", headers=bearer("orders:read")), 403)
    problem(client.get("/api/v1/BillingCycles", headers=bearer("orders:read")), 403)
    assert client.get("/api/v1/Currencies", headers=bearer("catalog:read")).status_code == 200


def test_billing_cycles_seeded_created_and_read(client: FlaskClient, admin: dict[str, str]) -> None:
    listed = client.get("/api/v1/BillingCycles", headers=admin).json
    assert {(c["id"], c["intervalUnit"], c["intervalCount"]) for c in listed["data"]} == {
        ("bc_monthly", "month", 1),
        ("bc_yearly", "year", 1),
    }
    body = {"name": "Quarterly", "intervalUnit": "month", "intervalCount": 3}
    r = client.post("/api/v1/BillingCycles", json=body, headers=admin | {"Idempotency-Key": "bc-1"})
    assert r.status_code == 201 and r.json["id"].startswith("bc_") and len(r.json["id"]) == 29
    assert r.headers["Location"] == f"/api/v1/BillingCycles/{r.json['id']}"
    again = client.post("/api/v1/BillingCycles", json=body, headers=admin | {"Idempotency-Key": "bc-1"})
    assert again.json == r.json and again.headers["Idempotent-Replayed"] == "true"
    got = client.get(f"/api/v1/BillingCycles/{r.json['id']}", headers=admin).json
    assert got == r.json and got["name"] == "Quarterly"
    assert len(client.get("/api/v1/BillingCycles", headers=admin).json["data"]) == 3
    problem(client.get("/api/v1/BillingCycles/bc_nope", headers=admin), 404)


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"intervalUnit": "fortnight"}, "intervalUnit"),
        ({"intervalCount": 0}, "intervalCount"),
        ({"intervalCount": 367}, "intervalCount"),
        ({"intervalCount": 1.5}, "intervalCount"),
        ({"intervalCount": "2"}, "intervalCount"),
        ({"name": ""}, "name"),
        ({"every": 2}, "every"),
    ],
)
def test_bad_billing_cycles_are_refused(
    client: FlaskClient, admin: dict[str, str], over: dict[str, Any], field: str
) -> None:
    body = {"name": "Weekly", "intervalUnit": "week", "intervalCount": 1} | over
    problem(client.post("/api/v1/BillingCycles", json=body, headers=admin), 422, field)
    assert len(client.get("/api/v1/BillingCycles", headers=admin).json["data"]) == 2
