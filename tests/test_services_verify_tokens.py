"""Services verify tokens themselves: a forged or stale token sent straight to a service's port,
bypassing the gateway, is refused exactly as the gateway refuses it (no trust by network position)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import pytest
import requests
from helpers import Client

from billing_devtools.localstack import Platform
from billing_shared.auth.keys import SigningKey, generate_key, sign

pytestmark = [pytest.mark.integration, pytest.mark.stack]


def gateway_key(platform: Platform) -> SigningKey:
    from gateway.store import Store

    store = Store(platform.db_urls["gateway"])
    try:
        record = next(k for k in store.list_keys() if k.state == "current")
    finally:
        store.close()
    assert record.signing_key is not None
    return record.signing_key


def b64(obj: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    c = {
        "iss": "http://127.0.0.1:8080",
        "aud": "billing-api",
        "sub": "cli_forger",
        "client_id": "cli_forger",
        "scope": "customers:read customers:write",
        "role": "client",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
    }
    return c | over


@pytest.fixture(scope="module")
def forged(platform: Platform) -> dict[str, str]:
    key = gateway_key(platform)
    now = int(time.time())
    head = b64({"alg": "HS256", "typ": "JWT", "kid": key.kid})
    body = b64(claims())
    mac = hmac.new(key.public_pem().encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    good = sign(claims(), key)
    h, _, s = good.split(".")
    return {
        "alg none": b64({"alg": "none", "kid": key.kid}) + "." + b64(claims()) + ".",
        "HS256 with the public key": f"{head}.{body}." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode(),
        "expired": sign(claims(iat=now - 1000, nbf=now - 1000, exp=now - 100), key),
        "nbf in the future": sign(claims(nbf=now + 600), key),
        "wrong iss": sign(claims(iss="https://evil.example"), key),
        "wrong aud": sign(claims(aud="other-api"), key),
        "unknown kid": sign(claims(), generate_key("ES256")),
        "tampered payload": f"{h}.{b64(claims(scope='admin customers:read customers:write'))}.{s}",
    }


CASES = [
    "alg none",
    "HS256 with the public key",
    "expired",
    "nbf in the future",
    "wrong iss",
    "wrong aud",
    "unknown kid",
    "tampered payload",
]


@pytest.mark.parametrize("case", CASES)
def test_forged_tokens_are_refused_by_the_service_directly(
    platform: Platform, api: Client, forged: dict[str, str], case: str
) -> None:
    cid = api.call(
        "POST", "/Customers", {"name": "T", "email": f"t.{uuid.uuid4().hex[:8]}@example.com"}
    ).json()["id"]
    direct = f"http://127.0.0.1:{platform.ports.services['customers']}/api/v1/Customers/{cid}"
    via_gateway = f"{platform.gateway_url}/api/v1/Customers/{cid}"
    for url in (direct, via_gateway):
        r = requests.get(url, headers={"Authorization": f"Bearer {forged[case]}"}, timeout=10)
        assert r.status_code == 401, (url, r.status_code, r.text[:200])
        assert r.headers["Content-Type"] == "application/problem+json"
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_gateway_token_works_directly_on_the_service(platform: Platform, api: Client) -> None:
    cid = api.call(
        "POST", "/Customers", {"name": "T", "email": f"t.{uuid.uuid4().hex[:8]}@example.com"}
    ).json()["id"]
    direct = f"http://127.0.0.1:{platform.ports.services['customers']}/api/v1/Customers/{cid}"
    r = requests.get(direct, headers={"Authorization": f"Bearer {api.token}"}, timeout=10)
    assert r.status_code == 200 and r.json()["id"] == cid
    r = requests.get(direct, timeout=10)
    assert r.status_code == 401
