"""The JWT refusal matrix on every route family, through the gateway and straight at each service:
no token, malformed ones, alg none / HS256 with the public key, expired, not yet valid, wrong
audience or issuer, unknown kid, signature or payload altered, and tokens of another environment
(its own keys, same issuer and audience, even its key claiming our kid) → 401 problem+json with a
Bearer challenge, and nothing written. A valid token without the route's scope → 403."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import pytest
import requests
from helpers import Client
from security_kit import report

from billing_devtools.localstack import Platform
from billing_devtools.testing.tokens import TokenFactory
from billing_shared.auth.keys import SigningKey, generate_key, sign

pytestmark = [pytest.mark.integration, pytest.mark.stack]

TODAY = time.strftime("%Y-%m-%d", time.gmtime())
# One read and (where there is one) one write per route family, with bodies that would succeed.
ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/Customers", None),
    ("POST", "/Customers", {"name": "Forged", "email": "forged.{u}@example.com"}),
    ("GET", "/Products", None),
    ("POST", "/Products", {"name": "Forged {u}", "taxCategory": "standard", "prices": []}),
    ("GET", "/Currencies", None),
    ("GET", "/BillingCycles", None),
    ("GET", "/TaxRules", None),
    ("GET", "/Coupons", None),
    ("POST", "/Coupons", {"code": "FORGED{u}", "percentOff": "50"}),
    ("GET", "/Orders", None),
    ("GET", "/PaymentGateways", None),
    ("GET", "/PaymentIntents", None),
    ("GET", "/Refunds", None),
    ("GET", f"/Reconciliation?date={TODAY}", None),
    ("GET", "/Invoices", None),
    ("GET", "/CreditNotes", None),
    ("GET", "/InvoiceItems", None),
    ("GET", "/InvoiceSettings", None),
    ("PATCH", "/InvoiceSettings", {"footer": "x"}),
    ("GET", "/Subscriptions", None),
    ("GET", "/SubscriptionBillingHistories", None),
    ("POST", "/SubscriptionBillingRuns", {"asOf": "2030-01-01T00:00:00+00:00"}),
    ("POST", "/Auth/customer-tokens", {"customerId": "cus_x"}),
]
# Straight at each service (no gateway in front): one read each.
DIRECT = {
    "customers": "/api/v1/Customers",
    "orders": "/api/v1/Orders",
    "payments": "/api/v1/PaymentIntents",
    "invoicing": "/api/v1/Invoices",
}


def b64(obj: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def gateway_key(platform: Platform) -> SigningKey:
    from gateway.store import Store

    store = Store(platform.db_urls["gateway"])
    try:
        record = next(k for k in store.list_keys() if k.state == "current")
    finally:
        store.close()
    assert record.signing_key is not None
    return record.signing_key


def claims(platform: Platform, **over: Any) -> dict[str, Any]:
    now = int(time.time())
    c = {
        "iss": "http://127.0.0.1:8080",
        "aud": "billing-api",
        "sub": "cli_forger",
        "client_id": "cli_forger",
        "scope": "customers:read customers:write catalog:read catalog:write orders:read payments:read "
        "invoices:read subscriptions:read subscriptions:write admin",
        "role": "client",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
    }
    return c | over


def flip(segment: str) -> str:
    """The same segment with one base64url character changed."""
    i = len(segment) // 2
    return segment[:i] + ("A" if segment[i] != "A" else "B") + segment[i + 1 :]


@pytest.fixture(scope="module")
def bad_headers(platform: Platform, api: Client) -> dict[str, dict[str, str]]:
    key = gateway_key(platform)
    now = int(time.time())
    c = claims(platform)
    # The real issuer's claims are what its own tokens carry: read them from a real token.
    real = json.loads(base64.urlsafe_b64decode(api.token.split(".")[1] + "=="))
    c |= {"iss": real["iss"], "aud": real["aud"]}
    good = sign(c, key)
    h, p, s = good.split(".")
    hs_head = b64({"alg": "HS256", "typ": "JWT", "kid": key.kid})
    mac = hmac.new(key.public_pem().encode(), f"{hs_head}.{p}".encode(), hashlib.sha256).digest()
    other_env = TokenFactory(issuer=real["iss"], audience=real["aud"])
    impostor = dataclasses.replace(generate_key(key.alg), kid=key.kid)  # another env's key, our kid
    tokens = {
        "alg none": b64({"alg": "none", "typ": "JWT", "kid": key.kid}) + "." + p + ".",
        "alg none, no signature dot": b64({"alg": "none", "kid": key.kid}) + "." + p,
        "HS256 with the public key": f"{hs_head}.{p}." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode(),
        "expired": sign(c | {"iat": now - 1000, "nbf": now - 1000, "exp": now - 100}, key),
        "not yet valid": sign(c | {"nbf": now + 600, "exp": now + 900}, key),
        "wrong audience": sign(c | {"aud": "other-api"}, key),
        "wrong issuer": sign(c | {"iss": "https://evil.example"}, key),
        "no exp": sign({k: v for k, v in c.items() if k != "exp"}, key),
        "unknown kid": sign(c, generate_key("ES256")),
        "signature altered": f"{h}.{p}.{flip(s)}",
        "payload altered": f"{h}.{b64(c | {'scope': c['scope'] + ' orders:price_override'})}.{s}",
        "signature of another token": f"{h}.{p}.{api.token.split('.')[2]}",
        "other environment's keys": other_env.token(c["scope"], client_id="cli_forger"),
        "other environment's key with our kid": sign(c, impostor),
    }
    headers = {name: {"Authorization": f"Bearer {t}"} for name, t in tokens.items()}
    headers |= {
        "no Authorization": {},
        "empty bearer": {"Authorization": "Bearer "},
        "not a JWT": {"Authorization": "Bearer not-a-token"},
        "three junk segments": {"Authorization": "Bearer a.b.c"},
        "non-JSON header": {
            "Authorization": "Bearer " + base64.urlsafe_b64encode(b"\xff\xfe").decode() + ".e30.x"
        },
        "Basic scheme": {"Authorization": "Basic " + base64.b64encode(b"admin:admin").decode()},
        "token without scheme": {"Authorization": good},
        "huge token": {"Authorization": "Bearer " + "a" * 6000 + "." + "b" * 6000 + ".c"},
    }
    # The forger's token is well-formed: signed by our key it would pass. Prove the matrix is
    # meaningful by checking exactly that once.
    r = requests.get(
        f"{platform.gateway_url}/api/v1/Customers", headers={"Authorization": f"Bearer {good}"}, timeout=10
    )
    assert r.status_code == 200, r.text
    return headers


CASES = [
    "no Authorization",
    "empty bearer",
    "not a JWT",
    "three junk segments",
    "non-JSON header",
    "Basic scheme",
    "token without scheme",
    "huge token",
    "alg none",
    "alg none, no signature dot",
    "HS256 with the public key",
    "expired",
    "not yet valid",
    "wrong audience",
    "wrong issuer",
    "no exp",
    "unknown kid",
    "signature altered",
    "payload altered",
    "signature of another token",
    "other environment's keys",
    "other environment's key with our kid",
]


def refused(r: requests.Response, status: int = 401) -> str | None:
    if r.status_code != status:
        return f"{r.status_code} {r.text[:150]}"
    if r.headers.get("Content-Type") != "application/problem+json":
        return f"Content-Type {r.headers.get('Content-Type')}"
    if r.json().get("status") != status:
        return f"body {r.text[:150]}"
    if status == 401 and not r.headers.get("WWW-Authenticate", "").startswith("Bearer"):
        return f"WWW-Authenticate {r.headers.get('WWW-Authenticate')!r}"
    return None


@pytest.mark.parametrize("case", CASES)
def test_bad_tokens_are_401_on_every_route_family_and_change_nothing(
    platform: Platform, api: Client, bad_headers: dict[str, dict[str, str]], case: str
) -> None:
    u = uuid.uuid4().hex[:10]
    wrong = {}
    for method, path, body in ROUTES:
        data = json.loads(json.dumps(body).replace("{u}", u)) if body else None
        r = requests.request(
            method, f"{platform.gateway_url}/api/v1{path}", json=data, headers=bad_headers[case], timeout=10
        )
        if why := refused(r):
            wrong[f"{method} {path}"] = why
    for service, path in DIRECT.items():
        r = requests.get(
            f"http://127.0.0.1:{platform.ports.services[service]}{path}",
            headers=bad_headers[case],
            timeout=10,
        )
        if why := refused(r):
            wrong[f"direct {service}"] = why
    assert not wrong, report(wrong)
    # Nothing of what those POSTs carried exists.
    assert api.call("GET", f"/Customers?email=forged.{u}@example.com").json()["data"] == []
    assert not [p for p in api.call("GET", "/Products?limit=100").json()["data"] if u in p["name"]]
    assert api.call("GET", f"/Coupons/FORGED{u.upper()}").status_code in (404, 200) and not [
        c for c in api.call("GET", "/Coupons?limit=100").json()["data"] if u.upper() in c["code"].upper()
    ]


def test_a_token_without_the_routes_scope_is_403(platform: Platform, api: Client) -> None:
    narrow = api.token_with("catalog:read")
    wrong = {}
    for method, path, body in ROUTES:
        if (
            path in ("/Products", "/Currencies", "/BillingCycles", "/TaxRules", "/Coupons")
            and method == "GET"
        ):
            continue
        r = api.call(method, path, body, token=narrow)
        if why := refused(r, 403):
            wrong[f"{method} {path}"] = why
    for service, path in DIRECT.items():
        r = requests.get(
            f"http://127.0.0.1:{platform.ports.services[service]}{path}",
            headers={"Authorization": f"Bearer {narrow}"},
            timeout=10,
        )
        if why := refused(r, 403):
            wrong[f"direct {service}"] = why
    assert not wrong, report(wrong)


def test_the_scope_cannot_be_widened_at_the_token_endpoint(api: Client) -> None:
    """A narrowed token is what it says: asking the token endpoint for more than the client holds
    is invalid_scope, and a customer token minted by a narrowed admin holds no more than it."""
    creds = json.loads((api.platform.var / "demo-credentials.json").read_text())
    r = api.http.post(
        api.base + "/api/v1/Auth/token",
        data={"grant_type": "client_credentials", "scope": "customers:read superuser", **creds},
        timeout=10,
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope", r.text
