"""Customers end to end, as a client application and as an event subscriber see them."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from helpers import Client

from billing_devtools.localstack import Platform
from billing_devtools.testing.kafka import TopicTail
from billing_shared.events import catalog
from billing_shared.events.envelope import Envelope

pytestmark = [pytest.mark.integration, pytest.mark.stack]


def new_customer(**over: Any) -> dict[str, Any]:
    return {
        "name": "Flow Tester",
        "email": f"flow.{uuid.uuid4().hex[:10]}@example.com",
        "billingAddress": {"line1": "1 Test St", "city": "Berlin", "postalCode": "10115", "country": "DE"},
    } | over


def test_customer_created_reaches_subscribers_as_a_cloudevent_within_a_second(
    api: Client, kafka_bootstrap: str
) -> None:
    tail = TopicTail(kafka_bootstrap, catalog.TOPIC_CUSTOMERS)
    try:
        r = api.call("POST", "/Customers", new_customer(), headers={"X-Request-Id": "flow-corr-1"})
        answered = time.monotonic()
        assert r.status_code == 201
        cid = r.json()["id"]
        [record] = tail.collect({cid}, 1, timeout=5)
        lag = time.monotonic() - answered
    finally:
        tail.close()
    headers = {k: v.decode() for k, v in record.headers}
    assert headers["ce_specversion"] == "1.0" and headers["ce_type"] == "billing.CustomerCreated.v2"
    assert headers["ce_source"] == "/customers" and headers["ce_id"]
    assert headers["ce_correlationid"] == "flow-corr-1", "the request's correlation id follows into its event"
    assert record.key.decode() == cid
    assert Envelope.from_kafka(record.key, record.headers, record.value).data["email"] == r.json()["email"]
    assert lag < 1.0, f"CustomerCreated arrived {lag * 1000:.0f} ms after the 201"


def test_fifty_concurrent_same_key_posts_through_the_gateway_make_one_customer(api: Client) -> None:
    key, body = str(uuid.uuid4()), new_customer()

    def post(_: int) -> tuple[int, str | None]:
        r = api.call("POST", "/Customers", body, headers={"Idempotency-Key": key})
        return r.status_code, (r.json() or {}).get("id") if r.status_code == 201 else None

    with ThreadPoolExecutor(max_workers=25) as pool:
        results = list(pool.map(post, range(50)))
    assert {s for s, _ in results} <= {201, 409}
    assert len({cid for s, cid in results if s == 201}) == 1
    listed = api.call("GET", f"/Customers?email={body['email']}").json()["data"]
    assert len(listed) == 1
    replay = api.call("POST", "/Customers", body, headers={"Idempotency-Key": key})
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == listed[0]["id"]
    assert (
        api.call("POST", "/Customers", body | {"name": "Else"}, headers={"Idempotency-Key": key}).status_code
        == 422
    )


def test_customer_token_cannot_read_another_customer(api: Client) -> None:
    mine = api.call("POST", "/Customers", new_customer()).json()["id"]
    other = api.call("POST", "/Customers", new_customer()).json()["id"]
    r = api.call("POST", "/Auth/customer-tokens", {"customerId": mine})
    assert r.status_code == 201
    ctok = r.json()["access_token"]
    assert api.call("GET", f"/Customers/{mine}", token=ctok).status_code == 200
    denied = api.call("GET", f"/Customers/{other}", token=ctok)
    assert denied.status_code == 404 and denied.headers["Content-Type"] == "application/problem+json"
    assert [c["id"] for c in api.call("GET", "/Customers", token=ctok).json()["data"]] == [mine]
    assert api.call("POST", "/Customers", new_customer(), token=ctok).status_code == 403


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "x", "email": "not-an-email"}, "email"),
        (
            {"name": "x", "email": "x@example.com", "billingAddress": {"country": "ZZ"}},
            "billingAddress.country",
        ),
        ({"name": 12, "email": "x@example.com"}, "name"),
        ({"name": "x", "email": "x@example.com", "unknownField": 1}, "unknownField"),
    ],
)
def test_bad_input_through_the_gateway_is_a_problem_and_stores_nothing(
    api: Client, payload: dict[str, Any], field: str
) -> None:
    email = f"bad.{uuid.uuid4().hex[:8]}@example.com"
    payload = {k: (email if k == "email" and v == "x@example.com" else v) for k, v in payload.items()}
    r = api.call("POST", "/Customers", payload, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 422 and r.headers["Content-Type"] == "application/problem+json"
    assert field in [e["field"] for e in r.json()["errors"]]
    assert api.call("GET", f"/Customers?email={email}").json()["data"] == []


def test_oversized_and_malformed_bodies(api: Client) -> None:
    email = f"big.{uuid.uuid4().hex[:8]}@example.com"
    big = api.call("POST", "/Customers", {"name": "x" * 2_000_000, "email": email})
    assert big.status_code == 413 and big.headers["Content-Type"] == "application/problem+json"
    bad = api.call("POST", "/Customers", data="{not json", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.headers["Content-Type"] == "application/problem+json"
    assert api.call("GET", f"/Customers?email={email}").json()["data"] == []


def test_every_process_reports_health_and_metrics(platform: Platform, api: Client) -> None:
    import requests

    for port in [platform.ports.gateway, *platform.ports.services.values(), *platform.ports.workers.values()]:
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
        assert requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).status_code == 200


def test_openapi_is_served_by_the_gateway(api: Client) -> None:
    doc = api.http.get(api.base + "/api/v1/openapi.json", timeout=10).json()
    assert "/api/v1/Customers" in doc["paths"] and "/api/v1/Customers/{customer_id}" in doc["paths"]
    assert "/api/v1/Auth/token" in doc["paths"]
    assert api.http.get(api.base + "/api/v1/docs", timeout=10).status_code == 200
