"""Setup intents: a card saved for a customer without a charge, authenticated first when its bank
asks (3D Secure on the gateway's page), as Stripe's SetupIntents do. A card that needs 3DS waits in
`requires_action`; completing the challenge saves it (`succeeded`, its `paymentMethod` attached to
the customer), failing it leaves nothing saved (`failed`)."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from typing import Any
from urllib.parse import urlsplit

from test_psp import cards
from test_psp.psp import ApiError, TestPsp
from test_psp.store import new_id

PREFIX = "seti"


def create(psp: TestPsp, body: Any) -> dict[str, Any]:
    """Inside a transaction (see TestPsp.idempotent)."""
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", "The body must be a JSON object.")
    customer = body.get("customer")
    if (
        not isinstance(customer, str)
        or psp.db.execute("SELECT 1 FROM customers WHERE id = ?", (customer,)).fetchone() is None
    ):
        raise ApiError(
            400, "resource_missing", "customer must be an existing customer's id.", param="customer"
        )
    card = psp.card_of_token(body)
    return_url = body.get("returnUrl")
    if return_url is not None and (
        not isinstance(return_url, str) or urlsplit(return_url).scheme not in ("http", "https")
    ):
        raise ApiError(400, "invalid_return_url", "returnUrl must be an http(s) URL.", param="returnUrl")
    setup_id = new_id(PREFIX)
    month, year = card.expiry(dt.datetime.now(dt.UTC).date())
    psp.db.execute(
        "INSERT INTO setup_intents (id, status, customer, brand, last4, behaviour, exp_month, exp_year,"
        " return_url, created) VALUES (?, 'requires_action', ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            setup_id,
            customer,
            card.brand,
            card.last4,
            card.behaviour,
            month,
            year,
            return_url,
            int(time.time()),
        ),
    )
    if card.behaviour == cards.DECLINED:
        _fail(psp, setup_id, cards.DECLINE_CODE, cards.DECLINE_MESSAGE)
    elif card.behaviour != cards.THREE_DS:
        _save(psp, setup_id)
    return get(psp, setup_id)


def authenticate(psp: TestPsp, setup_id: str, ok: bool) -> dict[str, Any]:
    """The cardholder's answer on the 3DS page; a second answer changes nothing."""
    with psp.store.tx():
        if _row(psp, setup_id)["status"] == "requires_action":
            if ok:
                _save(psp, setup_id)
            else:
                _fail(psp, setup_id, cards.AUTH_FAILED_CODE, cards.AUTH_FAILED_MESSAGE)
        return get(psp, setup_id)


def get(psp: TestPsp, setup_id: str) -> dict[str, Any]:
    r = _row(psp, setup_id)
    return {
        "id": r["id"],
        "object": "setup_intent",
        "status": r["status"],
        "customer": r["customer"],
        "card": {
            "brand": r["brand"],
            "last4": r["last4"],
            "expMonth": r["exp_month"],
            "expYear": r["exp_year"],
        },
        "paymentMethod": r["payment_method"],
        "nextAction": (
            {"type": "three_ds", "url": psp.three_ds_url(r["id"])}
            if r["status"] == "requires_action"
            else None
        ),
        "failureCode": r["failure_code"],
        "failureMessage": r["failure_message"],
        "created": r["created"],
    }


def return_url(psp: TestPsp, setup_id: str) -> str | None:
    value = _row(psp, setup_id)["return_url"]
    return str(value) if value else None


def _row(psp: TestPsp, setup_id: str) -> sqlite3.Row:
    row = psp.db.execute("SELECT * FROM setup_intents WHERE id = ?", (setup_id,)).fetchone()
    if row is None:
        raise ApiError(404, "resource_missing", f"No such setup intent: '{setup_id[:64]}'", param="id")
    return row


def _save(psp: TestPsp, setup_id: str) -> None:
    r = _row(psp, setup_id)
    method_id = new_id("pm")
    psp.db.execute(
        "INSERT INTO payment_methods (id, customer, brand, last4, exp_month, exp_year, behaviour, created)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            method_id,
            r["customer"],
            r["brand"],
            r["last4"],
            r["exp_month"],
            r["exp_year"],
            r["behaviour"],
            int(time.time()),
        ),
    )
    psp.db.execute(
        "UPDATE setup_intents SET status = 'succeeded', payment_method = ? WHERE id = ?",
        (method_id, setup_id),
    )


def _fail(psp: TestPsp, setup_id: str, code: str, message: str) -> None:
    psp.db.execute(
        "UPDATE setup_intents SET status = 'failed', failure_code = ?, failure_message = ? WHERE id = ?",
        (code, message, setup_id),
    )
