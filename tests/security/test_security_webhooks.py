"""Provider webhooks through the gateway (POST /api/v1/PaymentGateways/{test|stripe}/webhooks, no
token): forged signature, stale or future timestamp, body altered after signing, missing or
malformed signature header, and a gateway with no secret configured (stripe here) are 400
problem+json and change nothing: the intent stays waiting for 3DS, the order unpaid, its invoice
a draft, and no delivery is recorded. A replayed event id is acknowledged as a duplicate and changes
nothing either, whatever body it now carries; replayed after the tolerance it is refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import pytest
from helpers import Client
from security_kit import eventually, new_customer, new_order, ok, pay, report

pytestmark = [pytest.mark.integration, pytest.mark.stack]


def secret(api: Client) -> str:
    return str(json.loads((api.platform.var / "test-psp-secrets.json").read_text())["webhook_secret"])


def event(kind: str, reference: str, event_id: str | None = None, **charge: Any) -> bytes:
    body = {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "type": kind,
        "data": {"object": {"id": reference, "status": "succeeded", **charge}},
    }
    return json.dumps(body).encode()


def signature(key: str, body: bytes, t: int | None = None) -> str:
    t = int(time.time()) if t is None else t
    mac = hmac.new(key.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def deliver(api: Client, body: bytes, sig: str | None, gateway: str = "test", **headers: str) -> Any:
    h = {"Content-Type": "application/json"} | headers
    if sig is not None:
        h["Test-Psp-Signature"] = sig
    return api.http.post(
        f"{api.base}/api/v1/PaymentGateways/{gateway}/webhooks", data=body, headers=h, timeout=10
    )


@pytest.fixture()
def waiting(api: Client) -> dict[str, Any]:
    """An order whose intent waits for 3DS (nothing has settled it yet), and its draft invoice."""
    product = ok(
        api.call(
            "POST",
            "/Products",
            {
                "name": "Hook plan",
                "taxCategory": "standard",
                "prices": [{"currency": "USD", "unitPrice": 999}],
            },
        ),
        201,
    )
    customer = new_customer(api, "Hooked")
    order = new_order(api, customer["id"], product["id"])
    intent = pay(api, order, "tok_threeDSecureRequired")
    assert intent["status"] == "requires_action" and intent["gatewayReference"], intent
    invoice = eventually(
        lambda: api.call("GET", f"/Invoices?orderId={order['id']}").json()["data"], what="the draft invoice"
    )[0]
    return {"order": order, "intent": intent, "invoice": invoice}


def state(api: Client, w: dict[str, Any]) -> tuple[str, str, str]:
    return (
        api.call("GET", f"/PaymentIntents/{w['intent']['id']}").json()["status"],
        api.call("GET", f"/Orders/{w['order']['id']}").json()["status"],
        api.call("GET", f"/Invoices/{w['invoice']['id']}").json()["status"],
    )


def test_unverifiable_deliveries_are_400_and_change_nothing(api: Client, waiting: dict[str, Any]) -> None:
    before = state(api, waiting)
    assert before[0] == "requires_action" and before[2] == "draft", before
    ref = waiting["intent"]["gatewayReference"]
    key, now = secret(api), int(time.time())
    body = event("charge.succeeded", ref, amount=waiting["order"]["total"])
    signed = signature(key, body)
    attempts = {
        "forged with another secret": (body, signature("whsec_" + "0" * 48, body)),
        "signature of zeros": (body, f"t={now},v1={'0' * 64}"),
        "stale timestamp (301 s old)": (body, signature(key, body, now - 301)),
        # a minute past the 300 s tolerance: the clock moves on while the attempts run, and a future
        # stamp only comes closer (a stale one only gets older, so 301 s stays exact above)
        "timestamp far in the future": (body, signature(key, body, now + 360)),
        "body altered after signing": (body.replace(b"charge.succeeded", b"charge.succeedeD"), signed),
        "amount added after signing": (body[:-1] + b', "extra": 1}', signed),
        "timestamp altered after signing": (body, signed.replace(f"t={now}", f"t={now + 1}")),
        "signature header missing": (body, None),
        "signature header malformed": (body, "v1=abc"),
        "signature header without v1": (body, f"t={now}"),
        "signature for another body": (body, signature(key, event("charge.succeeded", ref))),
    }
    wrong = {}
    for name, (raw, sig) in attempts.items():
        r = deliver(api, raw, sig)
        if r.status_code != 400 or r.headers.get("Content-Type") != "application/problem+json":
            wrong[name] = f"{r.status_code} {r.text[:200]}"
    # stripe is listed in every run; with no secret configured nothing it "sends" is believed
    stripe_sig = {"Stripe-Signature": f"t={now},v1={'0' * 64}"}
    r = deliver(api, body, None, gateway="stripe", **stripe_sig)
    if r.status_code != 400 or r.headers.get("Content-Type") != "application/problem+json":
        wrong["stripe, unverifiable"] = f"{r.status_code} {r.text[:200]}"
    r = deliver(api, body, signed, gateway="stripe")
    if r.status_code != 400:
        wrong["stripe, signed with the test gateway's secret"] = f"{r.status_code} {r.text[:200]}"
    assert not wrong, report(wrong)
    time.sleep(1)  # anything wrongly applied would have raised events by now
    assert state(api, waiting) == before


def test_a_replayed_event_id_changes_nothing(api: Client, waiting: dict[str, Any]) -> None:
    ref, key = waiting["intent"]["gatewayReference"], secret(api)
    event_id = f"evt_{uuid.uuid4().hex}"
    first = event("charge.failed", ref, event_id, status="failed", failureCode="authentication_failed")
    r = deliver(api, first, signature(key, first))
    assert r.status_code == 200 and r.json()["applied"] is True, r.text
    failed = eventually(
        lambda: (s := state(api, waiting))[0] != "requires_action" and s, what="the failure applied"
    )
    # The same delivery again (a provider retry, or someone who captured it): acknowledged, no effect.
    r = deliver(api, first, signature(key, first))
    assert r.status_code == 200 and r.json()["duplicate"] is True and r.json()["applied"] is False, r.text
    # The same event id carrying another outcome is still that event: no effect.
    flipped = event("charge.succeeded", ref, event_id, amount=waiting["order"]["total"])
    r = deliver(api, flipped, signature(key, flipped))
    assert r.status_code == 200 and r.json()["duplicate"] is True and r.json()["applied"] is False, r.text
    # Replayed with its original signature after the tolerance window: refused outright.
    r = deliver(api, first, signature(key, first, int(time.time()) - 3600))
    assert r.status_code == 400 and r.headers["Content-Type"] == "application/problem+json", r.text
    time.sleep(1)
    assert state(api, waiting) == failed
    assert failed[1] != "paid" and failed[2] == "draft", failed
