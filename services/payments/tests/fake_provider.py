"""A payment provider in memory, implementing `PaymentProvider`: the unit-test double of a gateway.

It behaves like a real one where payments relies on it: it honours idempotency keys (a repeated
key answers the first call's result and moves no money), signs its webhooks (HMAC-SHA256 of the
body), and lists its charges. It records every call, so a test can assert that one never happened.
Ready-made tokens: tok_visa, tok_threeDSecureRequired, tok_chargeDeclined, tok_chargeDisputed;
`down = True` makes every call fail as unreachable; `lose_answers = n` makes the next n creates
charge and then time out, as a network cut after the provider acted would.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any

from payments.domain.intent_states import CANCELED, FAILED, REQUIRES_ACTION, REQUIRES_CAPTURE, SUCCEEDED
from payments.domain.payment_provider import (
    IntentRequest,
    NextAction,
    ProviderCharge,
    ProviderError,
    ProviderIntent,
    ProviderRefund,
    ProviderSetup,
    SavedCard,
    SignatureError,
    WebhookEvent,
)

SIGNATURE_HEADER = "Fake-Signature"


@dataclass
class Charge:
    intent: ProviderIntent
    metadata: dict[str, str]
    created: int
    amount_refunded: int = 0


@dataclass
class FakeProvider:
    id: str = "test"
    currencies: frozenset[str] = frozenset()
    capabilities: frozenset[str] = frozenset({"three_ds", "redirect", "refunds", "manual_capture"})
    secret: str = "whsec_fake"
    delay: float = 0.0  # seconds each call takes: widens race windows in tests
    down: bool = False
    lose_answers: int = 0  # this many calls do their work, then "time out" before answering
    calls: list[tuple[str, str]] = field(default_factory=list)  # (method, idempotency key or ref)
    off_session_keys: dict[str, bool] = field(default_factory=dict)  # create key -> off_session sent
    charges_by_ref: dict[str, Charge] = field(default_factory=dict)
    requests: list[IntentRequest] = field(default_factory=list)  # every create_intent, as asked
    customers: set[str] = field(default_factory=set)
    saved: dict[str, tuple[str | None, str]] = field(default_factory=dict)  # method -> (customer, token)
    setups: dict[str, ProviderSetup] = field(default_factory=dict)
    _answers: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _enter(self, method: str, key: str) -> None:
        with self._lock:
            self.calls.append((method, key))
        if self.delay:
            time.sleep(self.delay)
        if self.down:
            raise ProviderError("the gateway did not answer (connection refused)", retryable=True)

    def calls_of(self, method: str) -> list[str]:
        return [k for m, k in self.calls if m == method]

    def _idempotent(self, key: str, make: Any) -> Any:
        with self._lock:
            if key not in self._answers:
                self._answers[key] = make()
            answer = self._answers[key]
        if isinstance(answer, ProviderError):
            raise answer
        return answer

    # -- PaymentProvider ---------------------------------------------------------------------------

    def create_intent(self, request: IntentRequest) -> ProviderIntent:
        amount, currency, idempotency_key = request.amount, request.currency, request.idempotency_key
        payment_method_token, metadata, off_session = (
            request.payment_method_token,
            request.metadata,
            request.off_session,
        )
        capture_method = request.capture_method
        self._enter("create_intent", idempotency_key)
        with self._lock:
            self.off_session_keys[idempotency_key] = off_session
            self.requests.append(request)
        if request.saved_method:
            customer, payment_method_token = self.saved.get(request.payment_method_token, (None, ""))
            if customer is None or customer != request.customer_reference:
                raise ProviderError(
                    "The payment method is not attached to this customer.",
                    retryable=False,
                    code="pm_mismatch",
                )

        def make() -> ProviderIntent | ProviderError:
            if payment_method_token == "tok_refused":
                return ProviderError("No such token: 'tok_refused'", retryable=False, code="resource_missing")
            ref = f"fk_{next(self._seq):06d}"
            if payment_method_token == "tok_chargeDeclined":
                intent = ProviderIntent(
                    ref,
                    FAILED,
                    amount,
                    currency,
                    failure_code="card_declined",
                    failure_message="Your card has insufficient funds.",
                )
            elif payment_method_token == "tok_threeDSecureRequired":
                intent = ProviderIntent(
                    ref,
                    REQUIRES_ACTION,
                    amount,
                    currency,
                    client_secret=f"{ref}_secret",
                    next_action=NextAction("three_ds", f"https://fake.test/3ds/{ref}"),
                )
            else:
                status = REQUIRES_CAPTURE if capture_method == "manual" else SUCCEEDED
                intent = ProviderIntent(ref, status, amount, currency, client_secret=f"{ref}_secret")
            self.charges_by_ref[ref] = Charge(intent, dict(metadata), int(time.time()))
            return intent

        answer: ProviderIntent = self._idempotent(idempotency_key, make)
        with self._lock:
            lost, self.lose_answers = self.lose_answers > 0, max(0, self.lose_answers - 1)
        if lost:
            raise ProviderError("read timed out (the gateway may have acted)", retryable=True)
        return answer

    def retrieve(self, reference: str) -> ProviderIntent:
        self._enter("retrieve", reference)
        return self._charge(reference).intent

    def _charge(self, reference: str) -> Charge:
        found = self.charges_by_ref.get(reference)
        if found is None:
            raise ProviderError(f"No such payment: '{reference}'", retryable=False, code="resource_missing")
        return found

    def _move(self, reference: str, status: str) -> ProviderIntent:
        charge = self._charge(reference)
        charge.intent = replace(charge.intent, status=status, next_action=None)
        return charge.intent

    def capture(self, reference: str, *, idempotency_key: str) -> ProviderIntent:
        self._enter("capture", idempotency_key)

        def make() -> ProviderIntent | ProviderError:
            if self._charge(reference).intent.status != REQUIRES_CAPTURE:
                return ProviderError("This payment cannot be captured.", retryable=False)
            return self._move(reference, SUCCEEDED)

        answer: ProviderIntent = self._idempotent(idempotency_key, make)
        return answer

    def cancel(self, reference: str, *, idempotency_key: str) -> ProviderIntent:
        self._enter("cancel", idempotency_key)
        answer: ProviderIntent = self._idempotent(idempotency_key, lambda: self._move(reference, CANCELED))
        return answer

    def refund(self, reference: str, *, amount: int, reason: str, idempotency_key: str) -> ProviderRefund:
        self._enter("refund", idempotency_key)

        def make() -> ProviderRefund | ProviderError:
            charge = self._charge(reference)
            if charge.amount_refunded + amount > charge.intent.amount:
                return ProviderError("Refund exceeds the charge.", retryable=False)
            charge.amount_refunded += amount
            return ProviderRefund(f"rf_{next(self._seq):06d}", amount, "succeeded")

        answer: ProviderRefund = self._idempotent(idempotency_key, make)
        return answer

    def parse_webhook(self, headers: dict[str, str], body: bytes) -> WebhookEvent:
        sent = headers.get(SIGNATURE_HEADER) or headers.get(SIGNATURE_HEADER.lower()) or ""
        expected = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        if not sent or not hmac.compare_digest(sent, expected):
            raise SignatureError("the signature does not match")
        data = json.loads(body)
        return WebhookEvent(
            event_id=data["id"],
            kind=data["kind"],
            reference=data.get("reference"),
            amount=data.get("amount"),
            failure_code=data.get("failureCode"),
            failure_message=data.get("failureMessage"),
            raw_type=data["kind"],
            created=int(data.get("created", 0)),
        )

    def charges(self, *, created_from: int, created_to: int) -> list[ProviderCharge]:
        self._enter("charges", f"{created_from}-{created_to}")
        return [
            ProviderCharge(
                reference=ref,
                amount=c.intent.amount,
                currency=c.intent.currency,
                status=c.intent.status,
                amount_refunded=c.amount_refunded,
                metadata=c.metadata,
                created=c.created,
            )
            for ref, c in self.charges_by_ref.items()
            if created_from <= c.created < created_to
        ]

    def create_customer(self, *, customer_id: str, idempotency_key: str) -> str:
        self._enter("create_customer", idempotency_key)

        def make() -> str:
            ref = f"fc_{next(self._seq):06d}"
            self.customers.add(ref)
            return ref

        answer: str = self._idempotent(idempotency_key, make)
        return answer

    def attach_method(self, *, customer_reference: str, token: str, idempotency_key: str) -> SavedCard:
        self._enter("attach_method", idempotency_key)

        def make() -> SavedCard | ProviderError:
            if customer_reference not in self.customers:
                return ProviderError("No such customer.", retryable=False, code="resource_missing")
            if token == "tok_refused":
                return ProviderError("No such token: 'tok_refused'", retryable=False, code="resource_missing")
            ref = f"fm_{next(self._seq):06d}"
            self.saved[ref] = (customer_reference, token)
            return SavedCard(ref, "visa", "4242", 12, 2031)

        answer: SavedCard = self._idempotent(idempotency_key, make)
        return answer

    def detach_method(self, reference: str, *, idempotency_key: str) -> None:
        self._enter("detach_method", idempotency_key)
        with self._lock:
            if reference in self.saved:
                self.saved[reference] = (None, self.saved[reference][1])

    def create_setup(
        self, *, customer_reference: str, token: str, return_url: str | None, idempotency_key: str
    ) -> ProviderSetup:
        self._enter("create_setup", idempotency_key)

        def make() -> ProviderSetup:
            ref = f"fs_{next(self._seq):06d}"
            if token == "tok_chargeDeclined":
                setup = ProviderSetup(
                    ref, "failed", failure_code="card_declined", failure_message="Declined."
                )
            elif token == "tok_threeDSecureRequired":
                setup = ProviderSetup(
                    ref, "requires_action", NextAction("three_ds", f"https://fake.test/3ds/{ref}")
                )
            else:
                setup = ProviderSetup(ref, "succeeded", card=self._save(customer_reference, token))
            self.setups[ref] = setup
            return setup

        answer: ProviderSetup = self._idempotent(idempotency_key, make)
        return answer

    def retrieve_setup(self, reference: str) -> ProviderSetup:
        self._enter("retrieve_setup", reference)
        return self.setups[reference]

    def complete_setup(self, reference: str, customer_reference: str, token: str) -> None:
        """The customer passed 3D Secure on the provider's page: the card is saved."""
        self.setups[reference] = ProviderSetup(
            reference, "succeeded", card=self._save(customer_reference, token)
        )

    def _save(self, customer_reference: str, token: str) -> SavedCard:
        ref = f"fm_{next(self._seq):06d}"
        self.saved[ref] = (customer_reference, token)
        return SavedCard(ref, "visa", "4242", 12, 2031)

    # -- test helpers ------------------------------------------------------------------------------

    def webhook(self, event_id: str, kind: str, reference: str, **extra: Any) -> tuple[dict[str, str], bytes]:
        """A signed delivery: (headers, body)."""
        body = json.dumps({"id": event_id, "kind": kind, "reference": reference} | extra).encode()
        sig = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        return {SIGNATURE_HEADER: sig, "Content-Type": "application/json"}, body
