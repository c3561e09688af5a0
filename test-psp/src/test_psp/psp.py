"""What the test gateway does with tokens, charges and refunds, as a real provider would.

Every operation is one SQLite transaction that also records the webhooks it causes, so a charge and
the news of it are never separated (the deliverer sends them later, in the background). Errors are
raised as ApiError before anything is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import sqlite3
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from test_psp import cards
from test_psp.config import TestPspSettings
from test_psp.store import Store, new_id

MAX_AMOUNT = 99_999_999_999
CAPTURE_METHODS = ("automatic", "manual")


class ApiError(Exception):
    """A refused request: answered `{"error": {type, code, message, param}}` with `status`."""

    def __init__(
        self, status: int, code: str, message: str, *, param: str | None = None, kind: str = ""
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.param = param
        self.kind = kind or ("card_error" if status == 402 else "invalid_request_error")

    def body(self) -> dict[str, Any]:
        err = {"type": self.kind, "code": self.code, "message": str(self)}
        if self.param:
            err["param"] = self.param
        return {"error": err}


def request_hash(endpoint: str, body: Any) -> str:
    canonical = json.dumps([endpoint, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class TestPsp:
    __test__ = False

    def __init__(self, settings: TestPspSettings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.db = store.db
        self.on_event: Callable[[], None] = lambda: None  # set to wake the webhook deliverer

    # -- tokens -------------------------------------------------------------------------------

    def create_token(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_request", "The body must be a JSON object.")
        try:
            card = cards.tokenisable(body)
        except cards.CardError as e:
            raise ApiError(402 if e.code == "card_declined" else 400, e.code, str(e), param=e.param) from e
        token = new_id("tok")
        created = int(time.time())
        with self.store.tx():
            self.db.execute(
                "INSERT INTO tokens (id, brand, last4, behaviour, exp_month, exp_year, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (token, card.brand, card.last4, card.behaviour, card.exp_month, card.exp_year, created),
            )
        return {"id": token, "object": "token", "card": {"brand": card.brand, "last4": card.last4}}

    def _card_of(self, token: str) -> cards.Card:
        if token in cards.READY_MADE:
            return cards.READY_MADE[token]
        row = self.db.execute("SELECT * FROM tokens WHERE id = ?", (token,)).fetchone()
        if row is None:
            raise ApiError(400, "resource_missing", f"No such token: '{token[:64]}'", param="token")
        return _card(row)

    @staticmethod
    def _token_in(body: Any) -> str:
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise ApiError(400, "missing_token", "token is required (from POST /v1/tokens).", param="token")
        return token

    # -- customers and their saved payment methods ------------------------------------------------

    def create_customer(self, body: Any) -> dict[str, Any]:
        """Inside a transaction (see idempotent)."""
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_request", "The body must be a JSON object.")
        email = body.get("email")
        if email is not None and (not isinstance(email, str) or len(email) > 320):
            raise ApiError(400, "invalid_email", "email is at most 320 characters.", param="email")
        customer_id, created = new_id("cus"), int(time.time())
        self.db.execute(
            "INSERT INTO customers (id, email, created) VALUES (?, ?, ?)", (customer_id, email, created)
        )
        return {"id": customer_id, "object": "customer", "email": email, "created": created}

    def card_of_token(self, body: Any) -> cards.Card:
        """The card of the request's `token` (400 when there is none or it is unknown)."""
        return self._card_of(self._token_in(body))

    def attach_payment_method(self, customer_id: str, body: Any) -> dict[str, Any]:
        """A token saved for a customer, to be charged again (off-session too): what is kept is the
        card's brand, last 4 and expiry, never its number. Inside a transaction."""
        if self.db.execute("SELECT 1 FROM customers WHERE id = ?", (customer_id,)).fetchone() is None:
            raise ApiError(
                404, "resource_missing", f"No such customer: '{customer_id[:64]}'", param="customer"
            )
        card = self._card_of(self._token_in(body))
        month, year = card.expiry(dt.datetime.now(dt.UTC).date())
        method_id = new_id("pm")
        self.db.execute(
            "INSERT INTO payment_methods (id, customer, brand, last4, exp_month, exp_year, behaviour,"
            " created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (method_id, customer_id, card.brand, card.last4, month, year, card.behaviour, int(time.time())),
        )
        return self.payment_method(method_id)

    def _method_row(self, method_id: str, *, status: int = 404, param: str = "id") -> sqlite3.Row:
        r = self.db.execute("SELECT * FROM payment_methods WHERE id = ?", (method_id,)).fetchone()
        if r is None:
            raise ApiError(
                status, "resource_missing", f"No such payment method: '{method_id[:64]}'", param=param
            )
        return r

    def payment_method(self, method_id: str) -> dict[str, Any]:
        return _method_json(self._method_row(method_id))

    def customer_payment_methods(self, customer_id: str) -> dict[str, Any]:
        rows = self.db.execute(
            "SELECT * FROM payment_methods WHERE customer = ? ORDER BY created, rowid", (customer_id,)
        )
        return {"object": "list", "data": [_method_json(r) for r in rows], "hasMore": False}

    def detach_payment_method(self, method_id: str) -> dict[str, Any]:
        """Inside a transaction. A detached method can never be charged again; detaching it twice is
        refused, as a real provider does."""
        if self._method_row(method_id)["customer"] is None:
            raise ApiError(
                400, "payment_method_not_attached", "The payment method is not attached to a customer."
            )
        self.db.execute("UPDATE payment_methods SET customer = NULL WHERE id = ?", (method_id,))
        return self.payment_method(method_id)

    def _charged_card(self, body: dict[str, Any]) -> tuple[cards.Card, str, str | None, str | None]:
        """What a charge is made on: a one-time `token`, or a saved `paymentMethod` with the
        `customer` it is attached to (a real provider refuses a saved method of another customer or
        none). Returns (card, its source as the charge records it: the token or the method's id,
        payment method, customer)."""
        method_id = body.get("paymentMethod")
        if method_id is None:
            token = self._token_in(body)
            return self._card_of(token), token, None, None
        if not isinstance(method_id, str) or "token" in body:
            raise ApiError(
                400,
                "invalid_payment_method",
                "paymentMethod is a saved method's id, given without a token.",
                param="paymentMethod",
            )
        customer = body.get("customer")
        r = self._method_row(method_id, status=400, param="paymentMethod")
        if r["customer"] is None or r["customer"] != customer:
            raise ApiError(
                400,
                "payment_method_customer_mismatch",
                "The payment method must be attached to the customer named in `customer`.",
                param="customer",
            )
        return _card(r), method_id, method_id, customer

    # -- idempotency --------------------------------------------------------------------------

    def idempotent(
        self, key: str | None, endpoint: str, body: Any, op: Callable[[], dict[str, Any]]
    ) -> tuple[dict[str, Any], bool]:
        """Run `op` once per key: the same key and body replay the first answer (True = replayed),
        the same key with another body or endpoint is a 422. Only successes are recorded, so a
        refused request can be retried with the same key once its cause is fixed."""
        if not key:
            with self.store.tx():
                return op(), False
        if len(key) > 255:
            raise ApiError(400, "idempotency_key_invalid", "Idempotency-Key must be at most 255 characters.")
        digest = request_hash(endpoint, body)
        with self.store.tx():
            row = self.db.execute(
                "SELECT endpoint, request_hash, response FROM idempotency WHERE key = ?", (key,)
            ).fetchone()
            if row is not None:
                if row["endpoint"] != endpoint or row["request_hash"] != digest:
                    raise ApiError(
                        422,
                        "idempotency_key_in_use",
                        "This Idempotency-Key was used with another request; a new request needs a new key.",
                    )
                return json.loads(row["response"]), True
            result = op()
            self.db.execute(
                "INSERT INTO idempotency (key, endpoint, request_hash, status, response, created)"
                " VALUES (?, ?, ?, 200, ?, ?)",
                (key, endpoint, digest, json.dumps(result), int(time.time())),
            )
            return result, False

    # -- charges ------------------------------------------------------------------------------

    def create_charge(self, body: Any) -> dict[str, Any]:
        """Inside a transaction (see idempotent)."""
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_request", "The body must be a JSON object.")
        amount = body.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or not 1 <= amount <= MAX_AMOUNT:
            raise ApiError(
                400,
                "invalid_amount",
                f"amount must be a whole number of minor units from 1 to {MAX_AMOUNT}.",
                param="amount",
            )
        currency = body.get("currency")
        if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency):
            raise ApiError(400, "invalid_currency", "currency must be an ISO 4217 code.", param="currency")
        card, token, method_id, customer = self._charged_card(body)
        capture = body.get("captureMethod") or "automatic"
        if capture not in CAPTURE_METHODS:
            raise ApiError(
                400, "invalid_capture_method", "captureMethod is automatic or manual.", param="captureMethod"
            )
        metadata = body.get("metadata") or {}
        if not isinstance(metadata, dict) or len(metadata) > 50:
            raise ApiError(
                400, "invalid_metadata", "metadata is an object of at most 50 keys.", param="metadata"
            )
        for k, v in metadata.items():
            if not isinstance(v, str) or len(k) > 40 or len(v) > 500:
                raise ApiError(
                    400,
                    "invalid_metadata",
                    "metadata values are strings (keys up to 40, values up to 500 characters).",
                    param="metadata",
                )
        return_url = body.get("returnUrl")
        if return_url is not None and (
            not isinstance(return_url, str) or urlsplit(return_url).scheme not in ("http", "https")
        ):
            raise ApiError(400, "invalid_return_url", "returnUrl must be an http(s) URL.", param="returnUrl")
        off_session = body.get("offSession", False)
        if not isinstance(off_session, bool):
            raise ApiError(400, "invalid_off_session", "offSession is true or false.", param="offSession")
        charge_id = new_id("ch")
        now = int(time.time())
        status, failure_code, failure_message = "succeeded", None, None
        if card.behaviour == cards.THREE_DS and off_session:
            # nobody is there to authenticate: declined, as a real provider does off-session
            status = "failed"
            failure_code, failure_message = cards.AUTH_REQUIRED_CODE, cards.AUTH_REQUIRED_MESSAGE
        elif card.behaviour == cards.THREE_DS:
            status = "requires_action"
        elif card.behaviour == cards.DECLINED:
            status, failure_code, failure_message = "failed", cards.DECLINE_CODE, cards.DECLINE_MESSAGE
        elif capture == "manual":
            status = "requires_capture"
        self.db.execute(
            "INSERT INTO charges (id, status, amount, currency, capture_method, client_secret, token, brand,"
            " last4, behaviour, failure_code, failure_message, metadata, return_url, created, payment_method,"
            " customer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                charge_id,
                status,
                amount,
                currency.upper(),
                capture,
                f"{charge_id}_secret_{new_id('cs')[3:]}",
                token,
                card.brand,
                card.last4,
                card.behaviour,
                failure_code,
                failure_message,
                json.dumps(metadata),
                return_url,
                now,
                method_id,
                customer,
            ),
        )
        if status == "succeeded":
            self._succeeded(charge_id)
        elif status == "failed":
            self._emit("charge.failed", charge_id)
        return self.charge(charge_id)

    def _row(self, charge_id: str) -> sqlite3.Row:
        row = self.db.execute("SELECT * FROM charges WHERE id = ?", (charge_id,)).fetchone()
        if row is None:
            raise ApiError(404, "resource_missing", f"No such charge: '{charge_id[:64]}'", param="id")
        return row

    def three_ds_url(self, charge_id: str) -> str:
        return f"{self.settings.public_url}/3ds/{charge_id}?sig={self.page_sig(charge_id)}"

    def page_sig(self, charge_id: str) -> str:
        return hmac.new(self.store.page_secret.encode(), charge_id.encode(), hashlib.sha256).hexdigest()

    def charge(self, charge_id: str) -> dict[str, Any]:
        r = self._row(charge_id)
        refunds = [
            {
                "id": f["id"],
                "amount": f["amount"],
                "currency": f["currency"],
                "reason": f["reason"],
                "status": f["status"],
                "created": f["created"],
            }
            for f in self.db.execute("SELECT * FROM refunds WHERE charge = ? ORDER BY seq", (charge_id,))
        ]
        return {
            "id": r["id"],
            "object": "charge",
            "status": r["status"],
            "amount": r["amount"],
            "currency": r["currency"],
            "amountRefunded": r["amount_refunded"],
            "refunded": r["amount_refunded"] >= r["amount"],
            "refunds": refunds,
            "captureMethod": r["capture_method"],
            "clientSecret": r["client_secret"],
            "nextAction": (
                {"type": "three_ds", "url": self.three_ds_url(r["id"])}
                if r["status"] == "requires_action"
                else None
            ),
            "failureCode": r["failure_code"],
            "failureMessage": r["failure_message"],
            "paymentMethod": {"id": r["payment_method"], "brand": r["brand"], "last4": r["last4"]},
            "customer": r["customer"],
            "metadata": json.loads(r["metadata"]),
            "disputed": r["dispute_id"] is not None,
            "dispute": (
                {
                    "id": r["dispute_id"],
                    "amount": r["amount"],
                    "reason": "fraudulent",
                    "status": "needs_response",
                    "created": r["dispute_created"],
                }
                if r["dispute_id"]
                else None
            ),
            "created": r["created"],
        }

    def _succeeded(self, charge_id: str) -> None:
        self.db.execute(
            "UPDATE charges SET status = 'succeeded', dispute_due = CASE WHEN behaviour = ? THEN ? END"
            " WHERE id = ?",
            (cards.DISPUTED, time.time() + self.settings.dispute_delay, charge_id),
        )
        self._emit("charge.succeeded", charge_id)

    def capture(self, charge_id: str) -> dict[str, Any]:
        r = self._row(charge_id)
        if r["status"] == "requires_capture":
            self._succeeded(charge_id)
        elif r["status"] != "succeeded":
            raise ApiError(
                400,
                "charge_not_capturable",
                f"A charge in status {r['status']} cannot be captured (only requires_capture).",
            )
        return self.charge(charge_id)

    def cancel(self, charge_id: str) -> dict[str, Any]:
        r = self._row(charge_id)
        if r["status"] in ("requires_action", "requires_capture"):
            self.db.execute("UPDATE charges SET status = 'canceled' WHERE id = ?", (charge_id,))
        elif r["status"] != "canceled":
            raise ApiError(
                400,
                "charge_not_cancelable",
                f"A charge in status {r['status']} cannot be canceled (refund a succeeded one instead).",
            )
        return self.charge(charge_id)

    def authenticate(self, charge_id: str, ok: bool) -> dict[str, Any]:
        """The cardholder's answer on the hosted 3DS page; a second answer changes nothing."""
        with self.store.tx():
            r = self._row(charge_id)
            if r["status"] == "requires_action":
                if not ok:
                    self.db.execute(
                        "UPDATE charges SET status = 'failed', failure_code = ?, failure_message = ?"
                        " WHERE id = ?",
                        (cards.AUTH_FAILED_CODE, cards.AUTH_FAILED_MESSAGE, charge_id),
                    )
                    self._emit("charge.failed", charge_id)
                elif r["capture_method"] == "manual":
                    self.db.execute(
                        "UPDATE charges SET status = 'requires_capture' WHERE id = ?", (charge_id,)
                    )
                else:
                    self._succeeded(charge_id)
            return self.charge(charge_id)

    def return_url(self, charge_id: str) -> str | None:
        return self._row(charge_id)["return_url"]

    # -- refunds ------------------------------------------------------------------------------

    def refund(self, body: Any) -> dict[str, Any]:
        """Inside a transaction (see idempotent). Never more than is left on the charge."""
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_request", "The body must be a JSON object.")
        charge_id = body.get("charge")
        if not isinstance(charge_id, str):
            raise ApiError(400, "missing_charge", "charge is required (the charge's id).", param="charge")
        r = self._row(charge_id)
        if r["status"] != "succeeded":
            raise ApiError(
                400, "charge_not_refundable", f"A charge in status {r['status']} cannot be refunded."
            )
        left = r["amount"] - r["amount_refunded"]
        amount = body.get("amount", left)
        if amount is None:
            amount = left
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 1:
            raise ApiError(400, "invalid_amount", "amount must be a positive whole number.", param="amount")
        if left == 0:
            raise ApiError(400, "charge_already_refunded", f"Charge {charge_id} is already fully refunded.")
        if amount > left:
            raise ApiError(
                400,
                "amount_too_large",
                f"Refund amount ({amount}) is greater than what is left to refund ({left}).",
                param="amount",
            )
        reason = body.get("reason")
        if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
            raise ApiError(
                400, "invalid_reason", "reason is a string of at most 500 characters.", param="reason"
            )
        refund_id = new_id("re")
        now = int(time.time())
        updated = self.db.execute(
            "UPDATE charges SET amount_refunded = amount_refunded + ?"
            " WHERE id = ? AND amount_refunded + ? <= amount",
            (amount, charge_id, amount),
        ).rowcount
        if updated != 1:  # cannot happen within one transaction; kept as the last line of defence
            raise ApiError(409, "refund_conflict", "The charge changed meanwhile; try again.")
        self.db.execute(
            "INSERT INTO refunds (id, charge, amount, currency, reason, status, created)"
            " VALUES (?, ?, ?, ?, ?, 'succeeded', ?)",
            (refund_id, charge_id, amount, r["currency"], reason, now),
        )
        self._emit("charge.refunded", charge_id)
        return {
            "id": refund_id,
            "object": "refund",
            "charge": charge_id,
            "amount": amount,
            "currency": r["currency"],
            "reason": reason,
            "status": "succeeded",
            "created": now,
        }

    # -- listing (reconciliation) -------------------------------------------------------------

    def list_charges(
        self, created_from: int | None, created_to: int | None, limit: int, starting_after: str | None
    ) -> dict[str, Any]:
        """Charges with createdFrom <= created < createdTo, oldest first, paged by startingAfter."""
        sql = "SELECT id FROM charges WHERE 1 = 1"
        args: list[Any] = []
        if created_from is not None:
            sql += " AND created >= ?"
            args.append(created_from)
        if created_to is not None:
            sql += " AND created < ?"
            args.append(created_to)
        if starting_after:
            sql += " AND seq > ?"
            args.append(self._row(starting_after)["seq"])
        sql += " ORDER BY seq LIMIT ?"
        args.append(limit + 1)
        ids = [row["id"] for row in self.db.execute(sql, args)]
        return {"object": "list", "data": [self.charge(i) for i in ids[:limit]], "hasMore": len(ids) > limit}

    # -- events -------------------------------------------------------------------------------

    def _emit(self, kind: str, charge_id: str) -> None:
        """Record a webhook (a snapshot of the charge now) in the current transaction."""
        event_id = new_id("evt")
        now = time.time()
        body = {
            "id": event_id,
            "object": "event",
            "type": kind,
            "created": int(now),
            "data": {"object": self.charge(charge_id)},
        }
        self.db.execute(
            "INSERT INTO events (id, type, charge, body, created, next_attempt) VALUES (?, ?, ?, ?, ?, ?)",
            (event_id, kind, charge_id, json.dumps(body, separators=(",", ":")), int(now), now),
        )
        self.on_event()

    def open_disputes(self, now: float) -> int:
        """Disputes whose time has come: the charge is marked disputed and the webhook recorded."""
        due = [
            row["id"]
            for row in self.db.execute(
                "SELECT id FROM charges WHERE dispute_due IS NOT NULL AND dispute_due <= ?", (now,)
            )
        ]
        for charge_id in due:
            with self.store.tx():
                self.db.execute(
                    "UPDATE charges SET dispute_due = NULL, dispute_id = ?, dispute_created = ? WHERE id = ?",
                    (new_id("dp"), int(now), charge_id),
                )
                self._emit("charge.dispute.created", charge_id)
        return len(due)

    def next_dispute(self) -> float | None:
        row = self.db.execute(
            "SELECT MIN(dispute_due) AS t FROM charges WHERE dispute_due IS NOT NULL"
        ).fetchone()
        return None if row["t"] is None else float(row["t"])


def _card(row: sqlite3.Row) -> cards.Card:
    """What a token or a saved method keeps of its card."""
    return cards.Card(row["brand"], row["last4"], row["behaviour"], row["exp_month"], row["exp_year"])


def _method_json(r: sqlite3.Row) -> dict[str, Any]:
    card = {"brand": r["brand"], "last4": r["last4"], "expMonth": r["exp_month"], "expYear": r["exp_year"]}
    return {
        "id": r["id"],
        "object": "payment_method",
        "customer": r["customer"],
        "card": card,
        "created": r["created"],
    }
