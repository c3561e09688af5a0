"""The customers API on the real PostgreSQL: what a client sees, and what is (not) stored."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from billing_devtools.testing.tokens import TokenFactory
from billing_shared.web.context import deps_of
from customers.store.tables import customers, kit_tables

pytestmark = pytest.mark.integration


def body(**over: Any) -> dict[str, Any]:
    b: dict[str, Any] = {
        "name": "Ann Example",
        "email": f"ann.{uuid.uuid4().hex[:8]}@example.com",
        "billingAddress": {
            "line1": "1 Main St",
            "city": "Springfield",
            "postalCode": "12345",
            "region": "IL",
            "country": "US",
        },
        "taxId": "US123",
        "preferredCurrency": "USD",
        "metadata": {"crm": "42"},
    }
    return b | over


def counts(app: Flask) -> tuple[int, int]:
    db = deps_of(app).db
    with db.engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(customers)).scalar_one(),
            conn.execute(select(func.count()).select_from(kit_tables.outbox)).scalar_one(),
        )


def outbox_events(app: Flask) -> list[Any]:
    db = deps_of(app).db
    with db.engine.connect() as conn:
        return list(conn.execute(select(kit_tables.outbox).order_by(kit_tables.outbox.c.id)))


def test_create_get_list_patch(client: FlaskClient, admin: dict[str, str], app: Flask) -> None:
    r = client.post("/api/v1/Customers", json=body(), headers=admin | {"X-Request-Id": "req-abc"})
    assert r.status_code == 201, r.json
    c = r.json
    assert c["id"].startswith("cus_") and r.headers["Location"] == f"/api/v1/Customers/{c['id']}"
    assert c["billingAddress"]["postalCode"] == "12345" and c["preferredCurrency"] == "USD"
    assert r.headers["ETag"] == '"1"' and r.headers["X-Request-Id"] == "req-abc"
    [event] = outbox_events(app)
    assert (event.type, event.key, event.correlation_id) == ("billing.CustomerCreated.v2", c["id"], "req-abc")
    assert json.loads(event.data)["email"] == c["email"]

    got = client.get(f"/api/v1/Customers/{c['id']}", headers=admin).json
    assert got["email"] == c["email"]
    assert got["references"] == {"orders": [], "paymentIntents": [], "invoices": [], "subscriptions": []}

    listed = client.get(f"/api/v1/Customers?email={c['email'].upper()}", headers=admin).json
    assert [x["id"] for x in listed["data"]] == [c["id"]] and listed["hasMore"] is False

    r = client.patch(
        f"/api/v1/Customers/{c['id']}", json={"name": "Ann Renamed", "metadata": {"crm": None}}, headers=admin
    )
    assert r.status_code == 200 and r.json["name"] == "Ann Renamed" and r.json["metadata"] == {}
    assert r.headers["ETag"] == '"2"'
    assert outbox_events(app)[-1].type == "billing.CustomerUpdated.v2"


def test_preferred_locale_is_set_changed_cleared_and_published(
    client: FlaskClient, admin: dict[str, str], app: Flask
) -> None:
    c = client.post("/api/v1/Customers", json=body(preferredLocale="de"), headers=admin).json
    assert c["preferredLocale"] == "de"
    assert client.get(f"/api/v1/Customers/{c['id']}", headers=admin).json["preferredLocale"] == "de"
    [created] = outbox_events(app)
    assert (
        created.type == "billing.CustomerCreated.v2" and json.loads(created.data)["preferredLocale"] == "de"
    )

    r = client.patch(f"/api/v1/Customers/{c['id']}", json={"preferredLocale": "fr"}, headers=admin)
    assert r.status_code == 200 and r.json["preferredLocale"] == "fr" and r.headers["ETag"] == '"2"'
    updated = outbox_events(app)[-1]
    data = json.loads(updated.data)
    assert updated.type == "billing.CustomerUpdated.v2"
    assert (data["preferredLocale"], data["changed"]) == ("fr", ["preferredLocale"])

    r = client.patch(f"/api/v1/Customers/{c['id']}", json={"preferredLocale": None}, headers=admin)
    assert r.status_code == 200 and r.json["preferredLocale"] is None and r.headers["ETag"] == '"3"'
    assert client.get(f"/api/v1/Customers/{c['id']}", headers=admin).json["preferredLocale"] is None
    assert json.loads(outbox_events(app)[-1].data)["preferredLocale"] is None
    assert len(outbox_events(app)) == 3


def test_a_customer_without_a_preferred_locale_reads_null(client: FlaskClient, admin: dict[str, str]) -> None:
    c = client.post("/api/v1/Customers", json=body(), headers=admin).json
    assert c["preferredLocale"] is None
    assert client.get(f"/api/v1/Customers/{c['id']}", headers=admin).json["preferredLocale"] is None


@pytest.mark.parametrize("locale", ["es", 5, "", "DE", "de-DE"])
def test_an_unknown_preferred_locale_is_a_problem_naming_it_and_changes_nothing(
    client: FlaskClient, admin: dict[str, str], app: Flask, locale: Any
) -> None:
    c = client.post("/api/v1/Customers", json=body(preferredLocale="en"), headers=admin).json
    before = counts(app)
    for r in (
        client.patch(f"/api/v1/Customers/{c['id']}", json={"preferredLocale": locale}, headers=admin),
        client.post("/api/v1/Customers", json=body(preferredLocale=locale), headers=admin),
    ):
        assert r.status_code == 422 and r.content_type == "application/problem+json"
        assert "preferredLocale" in {e["field"] for e in r.json["errors"]}, r.json
    got = client.get(f"/api/v1/Customers/{c['id']}", headers=admin)
    assert got.json["preferredLocale"] == "en" and got.json["version"] == 1 and got.headers["ETag"] == '"1"'
    assert counts(app) == before


def test_the_openapi_document_states_the_locales(client: FlaskClient) -> None:
    schemas = client.get("/openapi.json").json["components"]["schemas"]
    for name in ("CustomerCreate", "CustomerPatch", "Customer"):
        prop = schemas[name]["properties"]["preferredLocale"]
        assert {"en", "de", "fr"} <= set(prop["enum"]), (name, prop)


def test_stale_if_match_is_412_and_changes_nothing(
    client: FlaskClient, admin: dict[str, str], app: Flask
) -> None:
    cid = client.post("/api/v1/Customers", json=body(), headers=admin).json["id"]
    assert (
        client.patch(
            f"/api/v1/Customers/{cid}", json={"name": "B"}, headers=admin | {"If-Match": '"1"'}
        ).status_code
        == 200
    )
    r = client.patch(f"/api/v1/Customers/{cid}", json={"name": "C"}, headers=admin | {"If-Match": '"1"'})
    assert (
        r.status_code == 412 and r.content_type == "application/problem+json" and r.headers["ETag"] == '"2"'
    )
    assert client.get(f"/api/v1/Customers/{cid}", headers=admin).json["name"] == "B"
    assert len(outbox_events(app)) == 2


def test_cursor_pagination_walks_every_customer_once(client: FlaskClient, admin: dict[str, str]) -> None:
    made = [client.post("/api/v1/Customers", json=body(), headers=admin).json["id"] for _ in range(5)]
    seen, after = [], None
    while True:
        q = "/api/v1/Customers?limit=2" + (f"&startingAfter={after}" if after else "")
        page = client.get(q, headers=admin).json
        seen += [c["id"] for c in page["data"]]
        if not page["hasMore"]:
            break
        after = page["data"][-1]["id"]
    assert seen == made


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "x", "email": "not-an-email"}, "email"),
        ({"name": "x", "email": "a@b.co", "billingAddress": {"country": "ZZ"}}, "billingAddress.country"),
        ({"name": "x", "email": "a@b.co", "billingAddress": {"country": "us"}}, "billingAddress.country"),
        ({"name": 12, "email": "a@b.co"}, "name"),
        ({"name": "x", "email": "a@b.co", "unknownField": 1}, "unknownField"),
        ({"email": "a@b.co"}, "name"),
        ({"name": "x", "email": "a@b.co", "preferredCurrency": "XYZ"}, "preferredCurrency"),
        ({"name": "x", "email": "a@b.co", "metadata": {"k": 5}}, "metadata"),
        ({"name": "", "email": "a@b.co"}, "name"),
        ([], "(body)"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field_and_stores_nothing(
    client: FlaskClient, admin: dict[str, str], app: Flask, payload: Any, field: str
) -> None:
    before = counts(app)
    r = client.post("/api/v1/Customers", json=payload, headers=admin | {"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 422 and r.content_type == "application/problem+json"
    assert field in {
        e["field"].split(".")[0] if field != "billingAddress.country" else e["field"]
        for e in r.json["errors"]
    }, r.json
    assert counts(app) == before


def test_malformed_json_and_oversized_bodies(client: FlaskClient, admin: dict[str, str], app: Flask) -> None:
    before = counts(app)
    r = client.post(
        "/api/v1/Customers", data="{not json", headers=admin | {"Content-Type": "application/json"}
    )
    assert r.status_code == 400 and r.content_type == "application/problem+json"
    assert "not valid JSON" in r.json["detail"]
    big = json.dumps({"name": "x" * 2_000_000, "email": "a@b.co"})
    r = client.post("/api/v1/Customers", data=big, headers=admin | {"Content-Type": "application/json"})
    assert r.status_code == 413 and r.content_type == "application/problem+json"
    assert counts(app) == before


def test_unknown_customer_is_404_problem(client: FlaskClient, admin: dict[str, str]) -> None:
    r = client.get("/api/v1/Customers/cus_01ARZ3NDEKTSV4RRFFQ69G5FAV", headers=admin)
    assert r.status_code == 404 and r.content_type == "application/problem+json"


def test_tokens_are_checked_by_the_service_itself(client: FlaskClient, tokens: TokenFactory) -> None:
    r = client.get("/api/v1/Customers")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    stranger = TokenFactory().token()  # signed by a key the service does not trust
    assert client.get("/api/v1/Customers", headers={"Authorization": f"Bearer {stranger}"}).status_code == 401
    read_only = {"Authorization": f"Bearer {tokens.token('customers:read')}"}
    r = client.post("/api/v1/Customers", json=body(), headers=read_only)
    assert r.status_code == 403 and "insufficient_scope" in r.headers["WWW-Authenticate"]


def test_customer_token_sees_only_its_own_customer(
    client: FlaskClient, admin: dict[str, str], tokens: TokenFactory
) -> None:
    mine = client.post("/api/v1/Customers", json=body(), headers=admin).json["id"]
    other = client.post("/api/v1/Customers", json=body(), headers=admin).json["id"]
    me = {"Authorization": f"Bearer {tokens.token('customers:read customers:write', customer_id=mine)}"}
    assert client.get(f"/api/v1/Customers/{mine}", headers=me).status_code == 200
    assert client.get(f"/api/v1/Customers/{other}", headers=me).status_code == 404
    assert [c["id"] for c in client.get("/api/v1/Customers", headers=me).json["data"]] == [mine]
    assert client.patch(f"/api/v1/Customers/{other}", json={"name": "x"}, headers=me).status_code == 404
    assert client.post("/api/v1/Customers", json=body(), headers=me).status_code == 403
    assert client.get(f"/api/v1/Customers/{other}", headers=admin).json["name"] == "Ann Example"


def test_idempotent_replay_and_mismatch(client: FlaskClient, admin: dict[str, str], app: Flask) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex}
    b = body()
    first = client.post("/api/v1/Customers", json=b, headers=admin | key)
    again = client.post("/api/v1/Customers", json=b, headers=admin | key)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    other = client.post("/api/v1/Customers", json=b | {"name": "Other"}, headers=admin | key)
    assert other.status_code == 422 and other.content_type == "application/problem+json"
    assert counts(app) == (1, 1)


def test_a_failed_request_frees_its_key(client: FlaskClient, admin: dict[str, str]) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex}
    assert client.post("/api/v1/Customers", json={"name": "x"}, headers=admin | key).status_code == 422
    assert client.post("/api/v1/Customers", json=body(), headers=admin | key).status_code == 201


def test_keys_are_scoped_to_the_api_client(client: FlaskClient, tokens: TokenFactory, app: Flask) -> None:
    key = {"Idempotency-Key": "shared-key"}
    a = {"Authorization": f"Bearer {tokens.token(client_id='cli_a')}"}
    b = {"Authorization": f"Bearer {tokens.token(client_id='cli_b')}"}
    r1 = client.post("/api/v1/Customers", json=body(), headers=a | key)
    r2 = client.post("/api/v1/Customers", json=body(), headers=b | key)
    assert r1.status_code == r2.status_code == 201 and r1.json["id"] != r2.json["id"]


def test_fifty_concurrent_posts_with_one_key_make_one_customer(app: Flask, admin: dict[str, str]) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex}
    b = body()

    def post(_: int) -> tuple[int, str | None]:
        r = app.test_client().post("/api/v1/Customers", json=b, headers=admin | key)
        return r.status_code, (r.json or {}).get("id")

    with ThreadPoolExecutor(max_workers=25) as pool:
        results = list(pool.map(post, range(50)))
    statuses = {s for s, _ in results}
    assert statuses <= {201, 409}, statuses
    assert len({cid for s, cid in results if s == 201}) == 1
    assert counts(app) == (1, 1)
