"""POST /api/v1/Auth/token (client credentials) and POST /api/v1/Auth/customer-tokens."""

from __future__ import annotations

import base64
from typing import Any

import jwt
import requests
from gateway_testkit import GatewayFactory, RunningGateway, Stub, problem

from billing_shared.auth.scopes import ALL_SCOPES, CUSTOMER_SCOPES


def post_token(gw: RunningGateway, **kw: Any) -> requests.Response:
    return requests.post(f"{gw.url}/api/v1/Auth/token", timeout=10, **kw)


def grant(gw: RunningGateway, **extra: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": gw.admin_id,
        "client_secret": gw.admin_secret,
    } | extra


def claims_of(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_form_encoded(gw: RunningGateway) -> None:
    resp = post_token(gw, data=grant(gw))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert set(body["scope"].split()) == set(ALL_SCOPES)
    assert resp.headers["Cache-Control"] == "no-store"
    claims = claims_of(body["access_token"])
    assert claims["iss"] == "http://127.0.0.1:8080" and claims["aud"] == "billing-api"
    assert claims["sub"] == claims["client_id"] == gw.admin_id and claims["role"] == "client"
    assert claims["exp"] - claims["iat"] == 900 and claims["nbf"] == claims["iat"] and claims["jti"]
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "ES256" and header["kid"]


def test_json_body(gw: RunningGateway) -> None:
    resp = post_token(gw, json=grant(gw), headers={"X-Request-Id": "tok-1"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["X-Request-Id"] == "tok-1"


def test_http_basic(gw: RunningGateway) -> None:
    resp = post_token(gw, data={"grant_type": "client_credentials"}, auth=(gw.admin_id, gw.admin_secret))
    assert resp.status_code == 200, resp.text


def test_wrong_secret_is_invalid_client(gw: RunningGateway) -> None:
    for kw in (
        {"data": grant(gw, client_secret="nope")},
        {"data": grant(gw, client_id="cli_nobody")},
        {"data": {"grant_type": "client_credentials"}, "auth": (gw.admin_id, "nope")},
        {"data": {"grant_type": "client_credentials"}},
    ):
        resp = post_token(gw, **kw)
        body = problem(resp, 401)
        assert body["error"] == "invalid_client"
        assert resp.headers["WWW-Authenticate"].startswith("Basic")


def test_malformed_basic(gw: RunningGateway) -> None:
    resp = post_token(gw, data={"grant_type": "client_credentials"}, headers={"Authorization": "Basic !!!"})
    assert problem(resp, 401)["error"] == "invalid_client"


def test_scope_narrowing(gw: RunningGateway) -> None:
    resp = post_token(gw, data=grant(gw, scope="orders:read customers:read"))
    assert resp.status_code == 200
    assert resp.json()["scope"] == "customers:read orders:read"
    assert claims_of(resp.json()["access_token"])["scope"] == "customers:read orders:read"


def test_scope_beyond_the_client_is_invalid_scope(gw: RunningGateway) -> None:
    client, secret = gw.store.create_client("reader", frozenset({"customers:read"}))
    resp = post_token(
        gw,
        data={
            "grant_type": "client_credentials",
            "client_id": client.id,
            "client_secret": secret,
            "scope": "customers:read customers:write",
        },
    )
    body = problem(resp, 400)
    assert body["error"] == "invalid_scope" and "customers:write" in body["detail"]
    assert problem(post_token(gw, data=grant(gw, scope="  ")), 400)["error"] == "invalid_scope"


def test_bad_grant(gw: RunningGateway) -> None:
    body = problem(post_token(gw, data=grant(gw, grant_type="password")), 400)
    assert body["error"] == "unsupported_grant_type"
    body = problem(post_token(gw, data={"client_id": gw.admin_id, "client_secret": gw.admin_secret}), 400)
    assert body["error"] == "invalid_request"
    body = problem(post_token(gw, data="<xml/>", headers={"Content-Type": "application/xml"}), 400)
    assert body["error"] == "invalid_request"
    body = problem(post_token(gw, data="{", headers={"Content-Type": "application/json"}), 400)
    assert body["error"] == "invalid_request"


def test_two_client_authentications_are_refused(gw: RunningGateway) -> None:
    resp = post_token(gw, data=grant(gw), auth=(gw.admin_id, gw.admin_secret))
    assert problem(resp, 400)["error"] == "invalid_request"


def test_get_is_405(gw: RunningGateway) -> None:
    resp = requests.get(f"{gw.url}/api/v1/Auth/token", timeout=5)
    problem(resp, 405)
    assert resp.headers["Allow"] == "POST"


def test_disabled_client_gets_no_token_and_its_tokens_stop(gw: RunningGateway) -> None:
    client, secret = gw.store.create_client("soon-off", frozenset({"customers:read"}))
    token = gw.token(client=(client.id, secret))
    assert gw.get("/api/v1/Customers/cus_1", token).status_code == 200
    gw.store.disable_client(client.id)
    gw.refresh()
    assert problem(gw.get("/api/v1/Customers/cus_1", token), 401)
    resp = post_token(
        gw, data={"grant_type": "client_credentials", "client_id": client.id, "client_secret": secret}
    )
    assert problem(resp, 401)["error"] == "invalid_client"


def test_new_client_is_found_without_waiting_for_refresh(gw: RunningGateway) -> None:
    client, secret = gw.store.create_client("fresh", frozenset({"customers:read"}))
    assert gw.token(client=(client.id, secret))


def mint_customer(gw: RunningGateway, token: str, body: Any) -> requests.Response:
    return requests.post(
        f"{gw.url}/api/v1/Auth/customer-tokens",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def test_customer_token(gw: RunningGateway, stub: Stub) -> None:
    resp = mint_customer(gw, gw.token(), {"customerId": "cus_1"})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["customerId"] == "cus_1" and body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert set(body["scope"].split()) == set(CUSTOMER_SCOPES)
    claims = claims_of(body["access_token"])
    assert claims["role"] == "customer" and claims["customer_id"] == "cus_1"
    assert claims["sub"] == "customer:cus_1" and claims["client_id"] == gw.admin_id
    # The customers service was asked, with the caller's token.
    check = [c for c in stub.calls if c["path_qs"] == "/api/v1/Customers/cus_1"][-1]
    assert check["headers"]["Authorization"].startswith("Bearer ")
    # The customer token works through the gateway for what a customer may do, and not beyond.
    customer_token = body["access_token"]
    assert gw.get("/api/v1/Customers/cus_1", customer_token).status_code == 200
    denied = requests.post(
        f"{gw.url}/api/v1/Products", json={}, headers={"Authorization": f"Bearer {customer_token}"}, timeout=5
    )
    problem(denied, 403)


def test_customer_token_needs_admin(gw: RunningGateway) -> None:
    token = gw.token(scope="customers:read customers:write")
    resp = mint_customer(gw, token, {"customerId": "cus_1"})
    problem(resp, 403)
    assert 'scope="admin"' in resp.headers["WWW-Authenticate"]
    resp = requests.post(f"{gw.url}/api/v1/Auth/customer-tokens", json={"customerId": "cus_1"}, timeout=5)
    problem(resp, 401)
    assert resp.headers["WWW-Authenticate"] == "Bearer"


def test_customer_token_for_unknown_customer_is_422(gw: RunningGateway) -> None:
    body = problem(mint_customer(gw, gw.token(), {"customerId": "cus_missing"}), 422)
    assert "customerId" in body["detail"] and body["errors"][0]["field"] == "customerId"
    body = problem(mint_customer(gw, gw.token(), {}), 422)
    assert body["errors"][0]["field"] == "customerId"
    body = problem(mint_customer(gw, gw.token(), {"customerId": 5}), 422)


def test_customer_token_scopes_never_exceed_the_callers(gw: RunningGateway) -> None:
    resp = mint_customer(gw, gw.token(scope="admin customers:read"), {"customerId": "cus_1"})
    assert resp.status_code == 201
    assert resp.json()["scope"] == "customers:read"


def test_token_endpoint_rate_limit(make_gateway: GatewayFactory) -> None:
    limited = make_gateway(rate_limit_token="2/minute")
    for _ in range(2):
        post_token(limited, data=grant(limited, client_secret="wrong"))
    resp = post_token(limited, data=grant(limited))
    problem(resp, 429)
    assert int(resp.headers["Retry-After"]) >= 1
    body = base64.b64encode(f"{limited.admin_id}:x".encode()).decode()
    assert problem(
        post_token(
            limited, data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {body}"}
        ),
        429,
    )


def test_malformed_and_oversized_bodies_are_problems(gw: RunningGateway) -> None:
    resp = post_token(gw, data=b"--x\r\nbroken", headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert resp.status_code in (400, 401) and resp.headers["Content-Type"].startswith(
        "application/problem+json"
    )
    big = b"a=" + b"x" * (gw.settings.max_body_bytes + 10)
    resp = post_token(gw, data=big, headers={"Content-Type": "application/x-www-form-urlencoded"})
    problem(resp, 413)
    resp = requests.post(
        f"{gw.url}/api/v1/Auth/customer-tokens",
        data=b"{" + b" " * (gw.settings.max_body_bytes + 10) + b"}",
        headers={"Authorization": f"Bearer {gw.token()}", "Content-Type": "application/json"},
        timeout=10,
    )
    problem(resp, 413)
