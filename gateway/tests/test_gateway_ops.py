"""The gateway's own endpoints: health, readiness, metrics, JWKS and rotation, OpenAPI and docs."""

from __future__ import annotations

import time

import jwt
import requests
from gateway_testkit import GatewayFactory, RunningGateway, Stub, problem

from billing_shared.auth.keys import build_jwks
from billing_shared.auth.verifier import TokenVerifier


def test_healthz(gw: RunningGateway) -> None:
    resp = requests.get(f"{gw.url}/healthz", timeout=5)
    assert resp.status_code == 200 and resp.json() == {"status": "ok"}
    problem(requests.post(f"{gw.url}/healthz", timeout=5), 405)


def test_readyz_follows_the_upstream(gw: RunningGateway, stub: Stub) -> None:
    resp = requests.get(f"{gw.url}/readyz", timeout=5)
    assert resp.status_code == 200, resp.text
    assert resp.json()["checks"] == {"customers": "ok", "database": "ok"}
    stub.ready = False
    try:
        time.sleep(1.1)  # past the one-second cache
        body = problem(requests.get(f"{gw.url}/readyz", timeout=5), 503)
        assert "customers" in body["detail"] and body["checks"]["customers"] == "/readyz answered 503"
    finally:
        stub.ready = True
    time.sleep(1.1)
    assert requests.get(f"{gw.url}/readyz", timeout=5).status_code == 200


def test_readyz_names_an_unreachable_upstream(make_gateway: GatewayFactory) -> None:
    both = make_gateway(gateway_services="customers,orders")
    body = problem(requests.get(f"{both.url}/readyz", timeout=5), 503)
    assert "orders" in body["detail"] and body["checks"]["customers"] == "ok"
    assert body["checks"]["orders"].startswith("unreachable")


def test_metrics(gw: RunningGateway) -> None:
    gw.get("/api/v1/Customers/cus_1", gw.token())
    gw.get("/api/v1/Customers/cus_1")
    text = requests.get(f"{gw.url}/metrics", timeout=5).text
    assert 'gateway_requests_total{family="customers",status="200"}' in text
    assert 'gateway_requests_total{family="customers",status="401"}' in text
    assert 'gateway_upstream_latency_seconds_bucket{le="0.005",service="customers"}' in text


def test_jwks_publishes_current_and_next(gw: RunningGateway) -> None:
    resp = requests.get(f"{gw.url}/.well-known/jwks.json", timeout=5)
    assert resp.status_code == 200
    kids = [k["kid"] for k in resp.json()["keys"]]
    states = {k.kid: k.state for k in gw.store.list_keys()}
    assert {states[k] for k in kids} >= {"current", "next"}
    for jwk in resp.json()["keys"]:
        assert jwk["alg"] == "ES256" and jwk["use"] == "sig" and "d" not in jwk


def test_rotation_keeps_old_tokens_valid(make_gateway: GatewayFactory) -> None:
    gw = make_gateway()
    before = requests.get(f"{gw.url}/.well-known/jwks.json", timeout=5).json()
    old_token = gw.token()
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    next_kid = next(k.kid for k in gw.store.list_keys() if k.state == "next")

    new_current, new_next = gw.store.rotate_keys("ES256")
    assert new_current == next_kid
    gw.refresh()

    new_token = gw.token()
    assert jwt.get_unverified_header(new_token)["kid"] == next_kid
    # A service that cached the JWKS from before the rotation already knows the new signing key.
    service_view = TokenVerifier(jwks=before, issuer=gw.settings.jwt_issuer, audience="billing-api")
    assert service_view.verify(new_token).client_id == gw.admin_id

    after = requests.get(f"{gw.url}/.well-known/jwks.json", timeout=5).json()
    kids = [k["kid"] for k in after["keys"]]
    assert kids[:2] == [new_current, new_next] and old_kid in kids
    assert gw.get("/api/v1/Customers/cus_1", old_token).status_code == 200
    assert gw.get("/api/v1/Customers/cus_1", new_token).status_code == 200
    fresh_view = TokenVerifier(jwks=after, issuer=gw.settings.jwt_issuer, audience="billing-api")
    assert fresh_view.verify(old_token).subject == gw.admin_id


def test_retired_keys_leave_the_jwks_after_their_tokens_expire(make_gateway: GatewayFactory) -> None:
    from datetime import UTC, datetime, timedelta

    from gateway.keyring import KeyRing

    gw = make_gateway()
    gw.store.rotate_keys("ES256")
    records = gw.store.list_keys()
    retired = next(r for r in records if r.state == "retired")
    assert retired.signing_key is None  # the private half is gone
    now_ring = KeyRing.build(records, publish_retired_for=1020)
    assert retired.kid in [k["kid"] for k in now_ring.jwks["keys"]]
    aged = [
        r.__class__(**{**r.__dict__, "retired_at": datetime.now(UTC) - timedelta(hours=1)})
        if r is retired
        else r
        for r in records
    ]
    assert retired.kid not in [k["kid"] for k in KeyRing.build(aged, publish_retired_for=1020).jwks["keys"]]
    assert build_jwks([])["keys"] == []


def test_openapi_merges_upstreams_and_adds_auth(gw: RunningGateway) -> None:
    resp = requests.get(f"{gw.url}/api/v1/openapi.json", timeout=5)
    assert resp.status_code == 200
    doc = resp.json()
    assert doc["openapi"].startswith("3.")
    assert {
        "/api/v1/Customers",
        "/api/v1/Customers/{customerId}",
        "/api/v1/Auth/token",
        "/api/v1/Auth/customer-tokens",
    } <= set(doc["paths"])
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert schemes["oauth2"]["flows"]["clientCredentials"]["tokenUrl"] == "/api/v1/Auth/token"
    assert doc["security"][0] == {"bearerAuth": []}
    assert doc["paths"]["/api/v1/Auth/token"]["post"]["security"] == []
    schemas = doc["components"]["schemas"]
    assert "Customer" in schemas and schemas["AccessToken"]["type"] == "object"
    # The stub's clashing AccessToken was renamed, not dropped or overwritten.
    assert schemas["customers.AccessToken"] == {"type": "string"}
    assert doc["components"]["responses"]["DEFAULT_ERROR"]
    assert "x-missing-services" not in doc["info"]


def test_openapi_survives_a_missing_upstream(make_gateway: GatewayFactory) -> None:
    both = make_gateway(gateway_services="customers orders")
    doc = requests.get(f"{both.url}/api/v1/openapi.json", timeout=10).json()
    assert doc["info"]["x-missing-services"] == ["orders"] and "/api/v1/Customers" in doc["paths"]


def test_merge_renames_refs_of_clashing_components() -> None:
    from gateway.openapi import merge

    a = {
        "paths": {"/a": {"get": {"$ref": "#/components/schemas/Thing"}}},
        "components": {"schemas": {"Thing": {"type": "integer"}}},
    }
    b = {
        "paths": {"/b": {"get": {"$ref": "#/components/schemas/Thing"}}},
        "components": {"schemas": {"Thing": {"type": "string"}}},
    }
    doc = merge({"orders": a, "payments": b}, [])
    assert doc["paths"]["/a"]["get"]["$ref"] == "#/components/schemas/Thing"
    assert doc["paths"]["/b"]["get"]["$ref"] == "#/components/schemas/payments.Thing"
    assert doc["components"]["schemas"]["payments.Thing"] == {"type": "string"}


def test_docs_page_and_its_static_files(gw: RunningGateway) -> None:
    page = requests.get(f"{gw.url}/api/v1/docs", timeout=5)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "/api/v1/openapi.json" in page.text and "https://" not in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        resp = requests.get(f"{gw.url}/api/v1/docs/static/{asset}", timeout=5)
        assert resp.status_code == 200 and len(resp.content) > 1000, asset
