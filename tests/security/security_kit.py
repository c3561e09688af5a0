"""What the attack suites share (their fixtures are in conftest.py): helpers that drive the flow
through the gateway, and the two customers of one merchant, the victim with a resource of every
kind and the attacker with a customer-role token of its own."""

from __future__ import annotations

import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent.parent))
from helpers import Client


def eventually(check: Any, timeout: float = 45, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        assert time.monotonic() < deadline, f"not within {timeout}s: {what}"
        time.sleep(0.2)


def report(wrong: Any) -> str:
    """A failure list one line per finding (pytest would truncate the dict)."""
    rows = wrong.items() if isinstance(wrong, dict) else enumerate(wrong)
    return "\n" + "\n".join(f"  {k}: {v}" for k, v in rows)


def ok(r: Any, *status: int) -> dict[str, Any]:
    assert r.status_code in (status or (200, 201)), (r.request.method, r.url, r.status_code, r.text[:500])
    body: dict[str, Any] = r.json()
    return body


def new_customer(api: Client, name: str) -> dict[str, Any]:
    return ok(
        api.call(
            "POST",
            "/Customers",
            {
                "name": name,
                "email": f"{name.lower()}.{uuid.uuid4().hex[:8]}@example.com",
                "billingAddress": {
                    "line1": "1 Main St",
                    "city": "Reykjavik",
                    "postalCode": "101",
                    "country": "IS",
                },
            },
        ),
        201,
    )


def new_order(api: Client, customer_id: str, product_id: str, cycle: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customerId": customer_id,
        "currency": "USD",
        "items": [{"productId": product_id, "quantity": 2}],
    }
    if cycle:
        body["billingCycleId"] = cycle
    return ok(api.call("POST", "/Orders", body, headers={"Idempotency-Key": str(uuid.uuid4())}), 201)


def pay(api: Client, order: dict[str, Any], token: str = "tok_visa") -> dict[str, Any]:
    body = {
        "orderId": order["id"],
        "amount": order["total"],
        "currency": order["currency"],
        "paymentMethodToken": token,
    }
    return ok(api.create_intent(body), 201)


def customer_token(api: Client, customer_id: str) -> str:
    return str(
        ok(api.call("POST", "/Auth/customer-tokens", {"customerId": customer_id}), 201)["access_token"]
    )


@dataclass
class Victim:
    customer: dict[str, Any]
    payment_method: dict[str, Any]
    setup_intent: dict[str, Any]
    order: dict[str, Any]
    intent: dict[str, Any]
    refund: dict[str, Any]
    invoice: dict[str, Any]
    credit_note: dict[str, Any]
    subscription: dict[str, Any]
    history: dict[str, Any]
    token: str  # the victim's own customer token (the positive control)


@dataclass
class Attacker:
    customer: dict[str, Any]
    order: dict[str, Any]
    token: str
