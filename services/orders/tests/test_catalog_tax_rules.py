"""Tax rules on the real PostgreSQL: one active rule per scope, 200/409 on repeats, exact rate strings."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from billing_shared.web.context import deps_of
from orders.domain import tax_rules as tax_rule_domain
from orders.domain.commands import CreateTaxRule
from orders.store.catalog import CatalogRepository
from orders.store.tables import tax_rules

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


def problem(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.json
    assert r.content_type == PROBLEM
    body: dict[str, Any] = r.json
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


def rule(**over: Any) -> dict[str, Any]:
    return {"name": "UK VAT", "country": "GB", "rate": "0.2"} | over


def post(client: FlaskClient, admin: dict[str, str], raw: str | None = None, **over: Any) -> Any:
    """POST a rule; `raw` sends that exact JSON text (to send numbers a Python float cannot hold)."""
    if raw is not None:
        return client.post("/api/v1/TaxRules", data=raw, content_type="application/json", headers=admin)
    return client.post("/api/v1/TaxRules", json=rule(**over), headers=admin)


def stored(app: Flask) -> int:
    with deps_of(app).db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(tax_rules)).scalar_one())


def test_one_active_rule_per_scope(client: FlaskClient, admin: dict[str, str], app: Flask) -> None:
    first = post(client, admin)
    assert first.status_code == 201, first.json
    r1 = first.json
    assert r1["id"].startswith("txr_") and first.headers["Location"] == f"/api/v1/TaxRules/{r1['id']}"
    assert (r1["rate"], r1["inclusive"], r1["active"], r1["region"], r1["taxCategory"]) == (
        "0.2",
        False,
        True,
        None,
        None,
    )

    # The same terms again (the rate by value, any name): the existing rule, no duplicate.
    for same in (rule(rate="0.20", name="VAT again"), rule(rate=0.2), rule(rate="0.2", inclusive=False)):
        again = client.post("/api/v1/TaxRules", json=same, headers=admin)
        assert again.status_code == 200 and again.json == r1
    assert stored(app) == 1

    # Other terms for the occupied scope: 409 naming the rule in the way.
    for other in (rule(rate="0.175"), rule(inclusive=True)):
        body = problem(client.post("/api/v1/TaxRules", json=other, headers=admin), 409)
        assert (
            body["existingRuleId"] == r1["id"]
            and r1["id"] in body["detail"]
            and "deactivate" in body["detail"]
        )
    assert stored(app) == 1

    # Another scope of the same country is free.
    food = post(client, admin, name="UK food", taxCategory="food", rate="0")
    assert food.status_code == 201 and food.json["rate"] == "0"

    # A rate changes by deactivating the old rule; its history stays.
    off = client.patch(f"/api/v1/TaxRules/{r1['id']}", json={"active": False}, headers=admin)
    assert off.status_code == 200 and off.json["active"] is False and off.json["deactivatedAt"]
    assert off.json["rate"] == "0.2"
    new = post(client, admin, rate="0.175")
    assert new.status_code == 201 and new.json["id"] != r1["id"]

    every = client.get("/api/v1/TaxRules?country=GB", headers=admin).json["data"]
    assert [x["id"] for x in every] == [r1["id"], food.json["id"], new.json["id"]]
    active = client.get("/api/v1/TaxRules?country=GB&active=true", headers=admin).json["data"]
    assert [x["id"] for x in active] == [food.json["id"], new.json["id"]]
    assert client.get(f"/api/v1/TaxRules/{r1['id']}", headers=admin).json == off.json
    assert client.get("/api/v1/TaxRules?country=DE", headers=admin).json == {"data": [], "hasMore": False}

    # Reactivating the old rule would make two active rules in one scope.
    body = problem(client.patch(f"/api/v1/TaxRules/{r1['id']}", json={"active": True}, headers=admin), 409)
    assert body["existingRuleId"] == new.json["id"]
    assert (
        client.patch(f"/api/v1/TaxRules/{new.json['id']}", json={"active": False}, headers=admin).status_code
        == 200
    )
    back = client.patch(f"/api/v1/TaxRules/{r1['id']}", json={"active": True}, headers=admin)
    assert back.status_code == 200 and back.json["active"] is True and back.json["deactivatedAt"] is None
    # Deactivating twice is harmless.
    twice = client.patch(f"/api/v1/TaxRules/{new.json['id']}", json={"active": False}, headers=admin)
    assert twice.status_code == 200 and twice.json["active"] is False


def test_the_pricing_read_gives_active_rules_oldest_first(
    client: FlaskClient, admin: dict[str, str], app: Flask
) -> None:
    a = post(client, admin, country="US", region="CA", rate="0.0725", name="CA sales tax").json
    b = post(client, admin, country="US", rate="0", name="US default").json
    c = post(client, admin, country="US", region="NY", taxCategory="food", rate="0.04", name="NY food").json
    post(client, admin, country="DE", rate="0.19", name="DE VAT", inclusive=True)
    client.patch(f"/api/v1/TaxRules/{b['id']}", json={"active": False}, headers=admin)
    with deps_of(app).db.unit_of_work(write=False) as uow:
        found = CatalogRepository(uow.session).tax_rules_for("US")
    assert [r.id for r in found] == [a["id"], c["id"]]
    assert str(found[0].rate) == "0.0725" and found[1].region == "NY" and found[1].tax_category == "food"


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ('"0.0725"', "0.0725"),
        ('"0.1"', "0.1"),
        ("0.07", "0.07"),
        ("0.1", "0.1"),
        ('"0.20"', "0.2"),
        ('"7.50"', "7.5"),
        ("1e-1", "0.1"),
        ("0E+1", "0"),
        ('"0.000"', "0"),
        ("0", "0"),
        ("9.99", "9.99"),
        # 18 decimals: a float would give 0.12345678901234568; the rate keeps every digit.
        ("0.123456789012345678", "0.123456789012345678"),
    ],
)
def test_rates_are_kept_exactly(client: FlaskClient, admin: dict[str, str], sent: str, shown: str) -> None:
    r = post(client, admin, raw=f'{{"name": "r", "country": "FR", "rate": {sent}}}')
    assert r.status_code == 201, r.json
    assert r.json["rate"] == shown
    assert client.get(f"/api/v1/TaxRules/{r.json['id']}", headers=admin).json["rate"] == shown


@pytest.mark.parametrize(
    "sent",
    [
        "10",
        '"10"',
        "-0.01",
        '"-0.01"',
        '"abc"',
        '"1e-2"',
        '" 0.2"',
        '"0,2"',
        '"NaN"',
        "NaN",
        "Infinity",
        "true",
        "null",
        '"0.1234567890123456789"',
        "[0.2]",
    ],
)
def test_bad_rates_are_refused(client: FlaskClient, admin: dict[str, str], app: Flask, sent: str) -> None:
    r = post(client, admin, raw=f'{{"name": "r", "country": "FR", "rate": {sent}}}')
    problem(r, 422, "rate")
    assert stored(app) == 0


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"country": "gb"}, "country"),
        ({"country": None}, "country"),
        ({"region": "a|b"}, "region"),
        ({"region": " CA"}, "region"),
        ({"region": ""}, "region"),
        ({"taxCategory": "food/drink"}, "taxCategory"),
        ({"inclusive": "no"}, "inclusive"),
        ({"name": ""}, "name"),
        ({"validFrom": "2030-01-01T00:00:00"}, "validFrom"),
        ({"validFrom": "2030-01-02T00:00:00Z", "validTo": "2030-01-01T00:00:00Z"}, "validTo"),
        ({"percent": 5}, "percent"),
    ],
)
def test_bad_tax_rules_are_refused_naming_the_field(
    client: FlaskClient, admin: dict[str, str], app: Flask, over: dict[str, Any], field: str
) -> None:
    problem(post(client, admin, **over), 422, field)
    assert stored(app) == 0


def test_validity_dates_and_regions_are_kept(client: FlaskClient, admin: dict[str, str]) -> None:
    r = post(
        client,
        admin,
        country="US",
        region="CA",
        taxCategory="digital",
        validFrom="2030-01-01T00:00:00+01:00",
        validTo="2031-01-01T00:00:00Z",
    )
    assert r.status_code == 201
    assert (r.json["region"], r.json["taxCategory"]) == ("CA", "digital")
    assert (
        r.json["validFrom"] == "2029-12-31T23:00:00+00:00"
        and r.json["validTo"] == "2031-01-01T00:00:00+00:00"
    )


def test_concurrent_posts_of_one_scope_make_one_rule(
    client: FlaskClient, admin: dict[str, str], app: Flask
) -> None:
    start = threading.Barrier(8)

    def send(_: int) -> Any:
        start.wait()
        return client.post("/api/v1/TaxRules", json=rule(country="IE", rate="0.23"), headers=admin)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    assert sorted(r.status_code for r in answers) == [200] * 7 + [201]
    assert len({r.json["id"] for r in answers}) == 1
    assert stored(app) == 1


def test_concurrent_different_rates_one_wins_the_rest_are_told_which(
    client: FlaskClient, admin: dict[str, str], app: Flask
) -> None:
    start = threading.Barrier(6)

    def send(i: int) -> Any:
        start.wait()
        return client.post("/api/v1/TaxRules", json=rule(country="NL", rate=f"0.2{i}"), headers=admin)

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(send, range(6)))
    [winner] = [r for r in answers if r.status_code == 201]
    losers = [r for r in answers if r.status_code != 201]
    assert all(r.status_code == 409 and r.json["existingRuleId"] == winner.json["id"] for r in losers)
    assert stored(app) == 1


def test_scopes_and_unknown_rules(
    client: FlaskClient, admin: dict[str, str], bearer: Callable[..., dict[str, str]]
) -> None:
    problem(client.get("/api/v1/TaxRules/txr_missing", headers=admin), 404)
    problem(client.patch("/api/v1/TaxRules/txr_missing", json={"active": False}, headers=admin), 404)
    problem(post(client, bearer("catalog:read")), 403)
    problem(client.get("/api/v1/TaxRules", headers=bearer("orders:read")), 403)
    problem(client.get("/api/v1/TaxRules?country=ZZ", headers=admin), 422, "query:country")
    rid = post(client, admin).json["id"]
    problem(
        client.patch(f"/api/v1/TaxRules/{rid}", json={"active": False}, headers=bearer("catalog:read")), 403
    )
    problem(client.patch(f"/api/v1/TaxRules/{rid}", json={"rate": "0.1"}, headers=admin), 422, "rate")
    problem(client.patch(f"/api/v1/TaxRules/{rid}", json={}, headers=admin), 422, "active")


def test_an_identical_repeat_with_an_idempotency_key_replays(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    key = admin | {"Idempotency-Key": "vat-setup"}
    first = client.post("/api/v1/TaxRules", json=rule(), headers=key)
    replay = client.post("/api/v1/TaxRules", json=rule(), headers=key)
    assert first.status_code == replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json == first.json


def test_a_lost_scope_race_leaves_the_transaction_usable(app: Flask) -> None:
    """The unique index answers False inside a savepoint; the caller's transaction carries on."""
    now = datetime.now(UTC)
    db = deps_of(app).db
    with db.unit_of_work() as uow:
        rule_a = tax_rule_domain.create(
            "txr_A", CreateTaxRule(name="a", country="SE", rate=Decimal("0.25")), now
        )
        assert CatalogRepository(uow.session).add_tax_rule(rule_a)
        uow.commit()
    with db.unit_of_work() as uow:
        repo = CatalogRepository(uow.session)
        rule_b = tax_rule_domain.create(
            "txr_B", CreateTaxRule(name="b", country="SE", rate=Decimal("0.12")), now
        )
        assert repo.add_tax_rule(rule_b) is False
        holder = repo.active_tax_rule("SE", None, None)
        assert holder is not None and holder.id == "txr_A"
        assert repo.add_tax_rule(
            tax_rule_domain.create(
                "txr_C", CreateTaxRule(name="c", country="SE", tax_category="food", rate=Decimal("0.12")), now
            )
        )
        uow.commit()
    assert stored(app) == 2
