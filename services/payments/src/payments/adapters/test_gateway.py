"""The adapter for the built-in test gateway (`test_psp`), spoken to over HTTP only.

It treats the test gateway as any outside provider: a base URL, a secret API key, a webhook
signing secret, and nothing imported from the gateway's code. Every POST carries an idempotency
key, so a call that timed out is simply sent again (a few times, with a short backoff) without any
risk of a second charge or refund.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from typing import Any

import requests

from payments.domain import intent_states, payment_provider

SIGNATURE_HEADER = "test-psp-signature"
TOLERANCE_SECONDS = 300
ATTEMPTS = 3
BACKOFF_SECONDS = (0.2, 0.6)
TIMEOUT = (3.05, 15.0)  # connect, read

STATUSES = {
    "succeeded": intent_states.SUCCEEDED,
    "requires_action": intent_states.REQUIRES_ACTION,
    "requires_capture": intent_states.REQUIRES_CAPTURE,
    "processing": intent_states.PROCESSING,
    "failed": intent_states.FAILED,
    "canceled": intent_states.CANCELED,
}

EVENTS = {
    "charge.succeeded": payment_provider.WEBHOOK_PAYMENT_SUCCEEDED,
    "charge.failed": payment_provider.WEBHOOK_PAYMENT_FAILED,
    "charge.refunded": payment_provider.WEBHOOK_REFUNDED,
    "charge.dispute.created": payment_provider.WEBHOOK_DISPUTE_CREATED,
}


class TestGatewayProvider:
    """`PaymentProvider` for the gateway id `test`: 3DS, refunds and manual capture, any currency."""

    __test__ = False  # not a pytest test class

    id = "test"
    currencies: frozenset[str] = frozenset()
    capabilities = frozenset({"three_ds", "refunds", "manual_capture"})
    page_size = 1000  # charges per listing request

    def __init__(self, settings: Any) -> None:
        self.base_url = str(getattr(settings, "test_psp_url", "") or "http://127.0.0.1:8190").rstrip("/")
        self._api_key: str = getattr(settings, "test_psp_api_key", None) or ""
        self._webhook_secret: str = getattr(settings, "test_psp_webhook_secret", None) or ""
        self._local = threading.local()  # requests.Session is not thread-safe: one per thread

    def __repr__(self) -> str:  # keeps the key out of any log that prints the provider
        return f"TestGatewayProvider({self.base_url})"

    # -- HTTP -----------------------------------------------------------------------------------

    @property
    def _http(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
        return session

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._api_key}"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        last: payment_provider.ProviderError | None = None
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(BACKOFF_SECONDS[min(attempt - 1, len(BACKOFF_SECONDS) - 1)])
            try:
                r = self._http.request(
                    method, self.base_url + path, json=body, params=params, headers=headers, timeout=TIMEOUT
                )
            except requests.RequestException as e:
                last = payment_provider.ProviderError(
                    f"test gateway unreachable: {type(e).__name__}", retryable=True
                )
                continue
            if r.status_code < 400:
                data = r.json()
                if not isinstance(data, dict):
                    raise payment_provider.ProviderError(
                        "test gateway answered an unexpected body", retryable=True
                    )
                return data
            error = _error_of(r)
            code = str(error.get("code") or f"http_{r.status_code}")
            message = str(error.get("message") or f"test gateway answered {r.status_code}")
            retryable = r.status_code >= 500 or r.status_code in (409, 429)
            last = payment_provider.ProviderError(message, retryable=retryable, code=code)
            if not retryable:
                raise last
        assert last is not None
        raise last

    # -- PaymentProvider ------------------------------------------------------------------------

    def create_intent(self, request: payment_provider.IntentRequest) -> payment_provider.ProviderIntent:
        body: dict[str, Any] = {
            "amount": request.amount,
            "currency": request.currency,
            "metadata": request.metadata,
            "captureMethod": request.capture_method,
        }
        if request.saved_method:
            body |= {"paymentMethod": request.payment_method_token, "customer": request.customer_reference}
        else:
            body["token"] = request.payment_method_token
        if request.return_url:
            body["returnUrl"] = request.return_url
        if request.off_session:
            body["offSession"] = True  # only when set: an on-session body stays what it always was
        key = request.idempotency_key
        return _intent(self._call("POST", "/v1/charges", body=body, idempotency_key=key))

    def retrieve(self, reference: str) -> payment_provider.ProviderIntent:
        return _intent(self._call("GET", f"/v1/charges/{reference}"))

    def capture(self, reference: str, *, idempotency_key: str) -> payment_provider.ProviderIntent:
        return _intent(
            self._call("POST", f"/v1/charges/{reference}/capture", body={}, idempotency_key=idempotency_key)
        )

    def cancel(self, reference: str, *, idempotency_key: str) -> payment_provider.ProviderIntent:
        return _intent(
            self._call("POST", f"/v1/charges/{reference}/cancel", body={}, idempotency_key=idempotency_key)
        )

    def refund(
        self, reference: str, *, amount: int, reason: str, idempotency_key: str
    ) -> payment_provider.ProviderRefund:
        r = self._call(
            "POST",
            "/v1/refunds",
            body={"charge": reference, "amount": amount, "reason": reason},
            idempotency_key=idempotency_key,
        )
        return payment_provider.ProviderRefund(
            reference=str(r["id"]), amount=int(r["amount"]), status=str(r["status"])
        )

    def create_customer(self, *, customer_id: str, idempotency_key: str) -> str:
        created = self._call("POST", "/v1/customers", body={}, idempotency_key=idempotency_key)
        return str(created["id"])

    def attach_method(
        self, *, customer_reference: str, token: str, idempotency_key: str
    ) -> payment_provider.SavedCard:
        m = self._call(
            "POST",
            f"/v1/customers/{customer_reference}/payment_methods",
            body={"token": token},
            idempotency_key=idempotency_key,
        )
        card = m["card"]
        return payment_provider.SavedCard(
            reference=str(m["id"]),
            brand=str(card["brand"]),
            last4=str(card["last4"]),
            exp_month=int(card["expMonth"]),
            exp_year=int(card["expYear"]),
        )

    def detach_method(self, reference: str, *, idempotency_key: str) -> None:
        try:
            self._call(
                "POST", f"/v1/payment_methods/{reference}/detach", body={}, idempotency_key=idempotency_key
            )
        except payment_provider.ProviderError as e:
            if e.code != "payment_method_not_attached":
                raise

    def create_setup(
        self, *, customer_reference: str, token: str, return_url: str | None, idempotency_key: str
    ) -> payment_provider.ProviderSetup:
        body: dict[str, Any] = {"customer": customer_reference, "token": token}
        if return_url:
            body["returnUrl"] = return_url
        return _setup(self._call("POST", "/v1/setup_intents", body=body, idempotency_key=idempotency_key))

    def retrieve_setup(self, reference: str) -> payment_provider.ProviderSetup:
        return _setup(self._call("GET", f"/v1/setup_intents/{reference}"))

    def charges(self, *, created_from: int, created_to: int) -> list[payment_provider.ProviderCharge]:
        """Every charge with created_from <= created < created_to, following the pages."""
        out: list[payment_provider.ProviderCharge] = []
        after: str | None = None
        while True:
            params: dict[str, Any] = {
                "createdFrom": created_from,
                "createdTo": created_to,
                "limit": self.page_size,
            }
            if after:
                params["startingAfter"] = after
            page = self._call("GET", "/v1/charges", params=params)
            for c in page["data"]:
                out.append(
                    payment_provider.ProviderCharge(
                        reference=str(c["id"]),
                        amount=int(c["amount"]),
                        currency=str(c["currency"]),
                        status=STATUSES.get(str(c["status"]), str(c["status"])),
                        amount_refunded=int(c["amountRefunded"]),
                        metadata={str(k): str(v) for k, v in (c.get("metadata") or {}).items()},
                        created=int(c["created"]),
                    )
                )
            if not page.get("hasMore") or not page["data"]:
                return out
            after = str(page["data"][-1]["id"])

    def parse_webhook(self, headers: dict[str, str], body: bytes) -> payment_provider.WebhookEvent:
        """Verify `Test-Psp-Signature` (t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">; 300 s
        tolerance either way) and translate. `amount` is, for `refunded`, the charge's refunded
        total so far (so duplicates and reordering cannot add up twice), and for `dispute_created`
        the disputed amount."""
        if not self._webhook_secret:
            raise payment_provider.SignatureError("no webhook secret configured for the test gateway")
        header = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER), None)
        if not header:
            raise payment_provider.SignatureError("missing Test-Psp-Signature header")
        timestamp: int | None = None
        signatures: list[str] = []
        for part in header.split(","):
            key, _, value = part.strip().partition("=")
            if key == "t" and value.isdigit():
                timestamp = int(value)
            elif key == "v1":
                signatures.append(value)
        if timestamp is None or not signatures:
            raise payment_provider.SignatureError("malformed Test-Psp-Signature header")
        if abs(time.time() - timestamp) > TOLERANCE_SECONDS:
            raise payment_provider.SignatureError("webhook timestamp outside the tolerance")
        expected = hmac.new(
            self._webhook_secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        if not any(hmac.compare_digest(expected, s) for s in signatures):
            raise payment_provider.SignatureError("webhook signature does not match")
        try:
            event = json.loads(body)
            charge = event["data"]["object"]
            raw_type = str(event["type"])
            event_id = str(event["id"])
        except (ValueError, KeyError, TypeError) as e:
            raise payment_provider.SignatureError("signed webhook body is not a test gateway event") from e
        kind = EVENTS.get(raw_type, payment_provider.WEBHOOK_IGNORED)
        amount: int | None = None
        failed = kind == payment_provider.WEBHOOK_PAYMENT_FAILED
        if kind == payment_provider.WEBHOOK_REFUNDED:
            amount = int(charge["amountRefunded"])
        elif kind == payment_provider.WEBHOOK_DISPUTE_CREATED:
            amount = int((charge.get("dispute") or {}).get("amount") or charge["amount"])
        return payment_provider.WebhookEvent(
            event_id=event_id,
            kind=kind,
            reference=str(charge.get("id")) if charge.get("id") else None,
            amount=amount,
            failure_code=charge.get("failureCode") if failed else None,
            failure_message=charge.get("failureMessage") if failed else None,
            raw_type=raw_type,
            created=int(event.get("created") or 0),
            extra={
                "status": STATUSES.get(str(charge.get("status")), str(charge.get("status"))),
                "amount": charge.get("amount"),
                "currency": charge.get("currency"),
                "amountRefunded": charge.get("amountRefunded"),
                "metadata": charge.get("metadata") or {},
            },
        )


def _error_of(r: requests.Response) -> dict[str, Any]:
    try:
        error = r.json().get("error")
    except ValueError:
        return {}
    return error if isinstance(error, dict) else {}


def _setup(s: dict[str, Any]) -> payment_provider.ProviderSetup:
    action, card = s.get("nextAction"), s.get("card") or {}
    saved = None
    if s.get("status") == "succeeded" and s.get("paymentMethod"):
        saved = payment_provider.SavedCard(
            reference=str(s["paymentMethod"]),
            brand=str(card["brand"]),
            last4=str(card["last4"]),
            exp_month=int(card["expMonth"]),
            exp_year=int(card["expYear"]),
        )
    return payment_provider.ProviderSetup(
        reference=str(s["id"]),
        status=str(s["status"]),
        next_action=payment_provider.NextAction(type=str(action["type"]), url=str(action["url"]))
        if action
        else None,
        card=saved,
        failure_code=s.get("failureCode"),
        failure_message=s.get("failureMessage"),
    )


def _intent(c: dict[str, Any]) -> payment_provider.ProviderIntent:
    action = c.get("nextAction")
    return payment_provider.ProviderIntent(
        reference=str(c["id"]),
        status=STATUSES.get(str(c["status"]), intent_states.PROCESSING),
        amount=int(c["amount"]),
        currency=str(c["currency"]),
        client_secret=c.get("clientSecret"),
        next_action=payment_provider.NextAction(type=str(action["type"]), url=str(action["url"]))
        if action
        else None,
        failure_code=c.get("failureCode"),
        failure_message=c.get("failureMessage"),
    )
