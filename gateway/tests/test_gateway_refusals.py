"""The JWT refusal matrix through the gateway: every bad token is a 401/403 problem+json with a
WWW-Authenticate challenge, never a 2xx or 5xx, and the upstream never sees the request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests
from gateway_testkit import GatewayFactory, RunningGateway, Stub, problem

from billing_shared.auth.keys import SigningKey, build_jwks, generate_key, load_key, sign
from billing_shared.auth.scopes import ALL_SCOPES


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def current_key(gw: RunningGateway) -> SigningKey:
    record = next(k for k in gw.store.list_keys() if k.state == "current")
    assert record.signing_key is not None
    return load_key(record.signing_key.private_pem(), record.alg, record.kid)


def claims(gw: RunningGateway, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": gw.settings.jwt_issuer,
        "aud": "billing-api",
        "sub": gw.admin_id,
        "client_id": gw.admin_id,
        "scope": " ".join(ALL_SCOPES),
        "role": "client",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def alg_none(gw: RunningGateway) -> str:
    return b64({"alg": "none", "typ": "JWT", "kid": current_key(gw).kid}) + "." + b64(claims(gw)) + "."


def hs256_with_public_key(gw: RunningGateway) -> str:
    key = current_key(gw)
    head = b64({"alg": "HS256", "typ": "JWT", "kid": key.kid})
    body = b64(claims(gw))
    mac = hmac.new(key.public_pem().encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def tampered(gw: RunningGateway) -> str:
    head, _, sig = sign(claims(gw, scope="customers:read"), current_key(gw)).split(".")
    return f"{head}.{b64(claims(gw))}.{sig}"


def signed(**overrides: Any) -> Callable[[RunningGateway], str]:
    def make(gw: RunningGateway) -> str:
        now = int(time.time())
        values = {k: (v(now) if callable(v) else v) for k, v in overrides.items()}
        return sign(claims(gw, **values), current_key(gw))

    return make


def unknown_kid(gw: RunningGateway) -> str:
    return sign(claims(gw), generate_key("ES256"))


CASES: dict[str, Callable[[RunningGateway], str]] = {
    "alg none": alg_none,
    "HS256 signed with the public key": hs256_with_public_key,
    "expired": signed(iat=lambda n: n - 1000, nbf=lambda n: n - 1000, exp=lambda n: n - 100),
    "nbf in the future": signed(nbf=lambda n: n + 600),
    "wrong iss": signed(iss="https://evil.example"),
    "wrong aud": signed(aud="another-api"),
    "unknown kid": unknown_kid,
    "tampered payload": tampered,
    "missing jti": signed(jti=None),
    "missing exp": signed(exp=None),
    "garbage": lambda gw: "not.a.jwt",
}


def calls_to(stub: Stub) -> int:
    return len(stub.calls)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_bad_tokens_are_401(gw: RunningGateway, stub: Stub, case: str, method: str) -> None:
    token = CASES[case](gw)
    before = calls_to(stub)
    resp = requests.request(
        method,
        f"{gw.url}/api/v1/Customers/cus_1",
        headers={"Authorization": f"Bearer {token}"},
        json={},
        timeout=5,
    )
    problem(resp, 401)
    assert resp.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    assert calls_to(stub) == before


def test_no_token_is_401_with_bearer_challenge(gw: RunningGateway, stub: Stub) -> None:
    before = calls_to(stub)
    for headers in ({}, {"Authorization": "Basic Zm9vOmJhcg=="}, {"Authorization": "Bearer"}):
        resp = requests.get(f"{gw.url}/api/v1/Customers/cus_1", headers=headers, timeout=5)
        problem(resp, 401)
        assert resp.headers["WWW-Authenticate"] == "Bearer"
    assert calls_to(stub) == before


def test_missing_scope_is_403(gw: RunningGateway, stub: Stub) -> None:
    token = gw.token(scope="customers:read")
    before = calls_to(stub)
    resp = requests.post(
        f"{gw.url}/api/v1/Customers", json={}, headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    body = problem(resp, 403)
    assert "customers:write" in body["detail"]
    assert resp.headers["WWW-Authenticate"] == 'Bearer error="insufficient_scope", scope="customers:write"'
    resp = gw.get("/api/v1/Orders", token)
    problem(resp, 403)
    assert calls_to(stub) == before
    assert gw.get("/api/v1/Customers/cus_1", token).status_code == 200


def test_read_and_write_scopes_follow_the_method(gw: RunningGateway) -> None:
    token = gw.token(scope="customers:write")
    problem(gw.get("/api/v1/Customers/cus_1", token), 403)
    resp = requests.head(
        f"{gw.url}/api/v1/Customers/cus_1", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert resp.status_code == 403
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        resp = requests.request(
            method,
            f"{gw.url}/api/v1/Customers/cus_1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        assert resp.status_code in (200, 201), (method, resp.text)


def test_outside_oidc_issuer_is_trusted_by_its_own_keys(make_gateway: GatewayFactory, stub: Stub) -> None:
    outside = generate_key("RS256")
    stub.oidc_jwks = build_jwks([outside])
    gw = make_gateway(oidc_issuer="https://idp.example", oidc_jwks_url=f"{stub.url}/oidc/jwks.json")
    oidc = claims(gw, iss="https://idp.example", jti=None, client_id=None, scope=None, azp="spa")
    oidc["scp"] = ["customers:read"]
    token = sign(oidc, outside)
    assert gw.get("/api/v1/Customers/cus_1", token).status_code == 200
    problem(
        requests.post(
            f"{gw.url}/api/v1/Customers", json={}, headers={"Authorization": f"Bearer {token}"}, timeout=5
        ),
        403,
    )
    # The outside issuer's name with our key, or our name with its key: both refused.
    problem(
        gw.get("/api/v1/Customers/cus_1", sign(claims(gw, iss="https://idp.example"), current_key(gw))), 401
    )
    problem(gw.get("/api/v1/Customers/cus_1", sign(claims(gw), outside)), 401)
    # Our own tokens still work beside it.
    assert gw.get("/api/v1/Customers/cus_1", gw.token()).status_code == 200
