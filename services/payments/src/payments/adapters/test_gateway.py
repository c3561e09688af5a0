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

from payments.domain.intent_states import (
    CANCELED,
    FAILED,
    PROCESSING,
    REQUIRES_ACTION,
    REQUIRES_CAPTURE,
    SUCCEEDED,
)
from payments.domain.payment_provider import (
    WEBHOOK_DISPUTE_CREATED,
    WEBHOOK_IGNORED,
    WEBHOOK_PAYMENT_FAILED,
    WEBHOOK_PAYMENT_SUCCEEDED,
    WEBHOOK_REFUNDED,
    NextAction,
    ProviderCharge,
    ProviderError,
    ProviderIntent,
    ProviderRefund,
    SignatureError,
    WebhookEvent,
)

SIGNATURE_HEADER = "test-psp-signature"
TOLERANCE_SECONDS = 300
ATTEMPTS = 3
BACKOFF_SECONDS = (0.2, 0.6)
TIMEOUT = (3.05, 15.0)  # connect, read

STATUSES = {
    "succeeded": SUCCEEDED,
    "requires_action": REQUIRES_ACTION,
    "requires_capture": REQUIRES_CAPTURE,
    "processing": PROCESSING,
    "failed": FAILED,
    "canceled": CANCELED,
}

EVENTS = {
    "charge.succeeded": WEBHOOK_PAYMENT_SUCCEEDED,
    "charge.failed": WEBHOOK_PAYMENT_FAILED,
    "charge.refunded": WEBHOOK_REFUNDED,
    "charge.dispute.created": WEBHOOK_DISPUTE_CREATED,
}


def _secret(value: Any) -> str:
    """Settings may hold a plain string or a pydantic SecretStr."""
    if value is None:
        return ""
    getter = getattr(value, "get_secret_value", None)
    return str(getter() if callable(getter) else value)


class TestGatewayProvider:
    """`PaymentProvider` for the gateway id `test`: 3DS, refunds and manual capture, any currency."""

    __test__ = False  # not a pytest test class

    id = "test"
    currencies: frozenset[str] = frozenset()
    capabilities = frozenset({"three_ds", "refunds", "manual_capture"})
    page_size = 1000  # charges per listing request

    def __init__(self, settings: Any) -> None:
        self.base_url = str(getattr(settings, "test_psp_url", "") or "http://127.0.0.1:8190").rstrip("/")
        self._api_key = _secret(getattr(settings, "test_psp_api_key", None))
        self._webhook_secret = _secret(getattr(settings, "test_psp_webhook_secret", None))
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
        last: ProviderError | None = None
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(BACKOFF_SECONDS[min(attempt - 1, len(BACKOFF_SECONDS) - 1)])
            try:
                r = self._http.request(
                    method, self.base_url + path, json=body, params=params, headers=headers, timeout=TIMEOUT
                )
            except requests.RequestException as e:
                last = ProviderError(f"test gateway unreachable: {type(e).__name__}", retryable=True)
                continue
            if r.status_code < 400:
                data = r.json()
                if not isinstance(data, dict):
                    raise ProviderError("test gateway answered an unexpected body", retryable=True)
                return data
            error = _error_of(r)
            code = str(error.get("code") or f"http_{r.status_code}")
            message = str(error.get("message") or f"test gateway answered {r.status_code}")
            retryable = r.status_code >= 500 or r.status_code in (409, 429)
            last = ProviderError(message, retryable=retryable, code=code)
            if not retryable:
                raise last
        assert last is not None
        raise last

    # -- PaymentProvider ------------------------------------------------------------------------

    def create_intent(
        self,
        *,
        amount: int,
        currency: str,
        payment_method_token: str,
        idempotency_key: str,
        metadata: dict[str, str],
        return_url: str | None,
        capture_method: str,
        off_session: bool = False,
    ) -> ProviderIntent:
        body: dict[str, Any] = {
            "amount": amount,
            "currency": currency,
            "token": payment_method_token,
            "metadata": metadata,
            "captureMethod": capture_method,
        }
        if return_url:
            body["returnUrl"] = return_url
        if off_session:
            body["offSession"] = True  # only when set: an on-session body stays what it always was
        return _intent(self._call("POST", "/v1/charges", body=body, idempotency_key=idempotency_key))

    def retrieve(self, reference: str) -> ProviderIntent:
        return _intent(self._call("GET", f"/v1/charges/{reference}"))

    def capture(self, reference: str, *, idempotency_key: str) -> ProviderIntent:
        return _intent(
            self._call("POST", f"/v1/charges/{reference}/capture", body={}, idempotency_key=idempotency_key)
        )

    def cancel(self, reference: str, *, idempotency_key: str) -> ProviderIntent:
        return _intent(
            self._call("POST", f"/v1/charges/{reference}/cancel", body={}, idempotency_key=idempotency_key)
        )

    def refund(self, reference: str, *, amount: int, reason: str, idempotency_key: str) -> ProviderRefund:
        r = self._call(
            "POST",
            "/v1/refunds",
            body={"charge": reference, "amount": amount, "reason": reason},
            idempotency_key=idempotency_key,
        )
        return ProviderRefund(reference=str(r["id"]), amount=int(r["amount"]), status=str(r["status"]))

    def charges(self, *, created_from: int, created_to: int) -> list[ProviderCharge]:
        """Every charge with created_from <= created < created_to, following the pages."""
        out: list[ProviderCharge] = []
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
                    ProviderCharge(
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

    def parse_webhook(self, headers: dict[str, str], body: bytes) -> WebhookEvent:
        """Verify `Test-Psp-Signature` (t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">; 300 s
        tolerance either way) and translate. `amount` is, for `refunded`, the charge's refunded
        total so far (so duplicates and reordering cannot add up twice), and for `dispute_created`
        the disputed amount."""
        if not self._webhook_secret:
            raise SignatureError("no webhook secret configured for the test gateway")
        header = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER), None)
        if not header:
            raise SignatureError("missing Test-Psp-Signature header")
        timestamp: int | None = None
        signatures: list[str] = []
        for part in header.split(","):
            key, _, value = part.strip().partition("=")
            if key == "t" and value.isdigit():
                timestamp = int(value)
            elif key == "v1":
                signatures.append(value)
        if timestamp is None or not signatures:
            raise SignatureError("malformed Test-Psp-Signature header")
        if abs(time.time() - timestamp) > TOLERANCE_SECONDS:
            raise SignatureError("webhook timestamp outside the tolerance")
        expected = hmac.new(
            self._webhook_secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        if not any(hmac.compare_digest(expected, s) for s in signatures):
            raise SignatureError("webhook signature does not match")
        try:
            event = json.loads(body)
            charge = event["data"]["object"]
            raw_type = str(event["type"])
            event_id = str(event["id"])
        except (ValueError, KeyError, TypeError) as e:
            raise SignatureError("signed webhook body is not a test gateway event") from e
        kind = EVENTS.get(raw_type, WEBHOOK_IGNORED)
        amount: int | None = None
        if kind == WEBHOOK_REFUNDED:
            amount = int(charge["amountRefunded"])
        elif kind == WEBHOOK_DISPUTE_CREATED:
            amount = int((charge.get("dispute") or {}).get("amount") or charge["amount"])
        return WebhookEvent(
            event_id=event_id,
            kind=kind,
            reference=str(charge.get("id")) if charge.get("id") else None,
            amount=amount,
            failure_code=charge.get("failureCode") if kind == WEBHOOK_PAYMENT_FAILED else None,
            failure_message=charge.get("failureMessage") if kind == WEBHOOK_PAYMENT_FAILED else None,
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


def _intent(c: dict[str, Any]) -> ProviderIntent:
    action = c.get("nextAction")
    return ProviderIntent(
        reference=str(c["id"]),
        status=STATUSES.get(str(c["status"]), PROCESSING),
        amount=int(c["amount"]),
        currency=str(c["currency"]),
        client_secret=c.get("clientSecret"),
        next_action=NextAction(type=str(action["type"]), url=str(action["url"])) if action else None,
        failure_code=c.get("failureCode"),
        failure_message=c.get("failureMessage"),
    )
