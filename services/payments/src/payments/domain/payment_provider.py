"""The port every payment provider adapter implements, and the vocabulary it speaks: what payments
asks of a provider, what the provider answers and what its verified webhooks say, all in payments'
own terms (intent states from `payments.domain.intent_states`, the WEBHOOK_* meanings below).

Payments decides (amounts, states, idempotency) and stores; an adapter (`payments.adapters`) only
translates between this vocabulary and one provider's API. The domain owns it, so the rules never
depend on a provider. Adapters never see card numbers: only the provider's tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

# What a verified webhook tells us, in our vocabulary.
WEBHOOK_PAYMENT_SUCCEEDED = "payment_succeeded"
WEBHOOK_PAYMENT_FAILED = "payment_failed"
WEBHOOK_REFUNDED = "refunded"
WEBHOOK_DISPUTE_CREATED = "dispute_created"
WEBHOOK_IGNORED = "ignored"  # verified, but nothing for us to do


class ProviderError(Exception):
    """The provider refused or failed a call. `retryable` says whether the same call may succeed later
    (network, 5xx) or never will (4xx): payments answers 502/503 for the first and 422/402 for the second."""

    def __init__(self, message: str, *, retryable: bool, code: str | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


class SignatureError(Exception):
    """A webhook whose signature cannot be verified (no secret configured included): 400, no change."""


@dataclass(frozen=True)
class NextAction:
    type: str  # "three_ds" | "redirect"
    url: str


@dataclass(frozen=True)
class ProviderIntent:
    reference: str  # the provider's id of the payment (e.g. Stripe's pi_..., the test gateway's ch_...)
    status: str  # one of payments.domain.intent_states
    amount: int
    currency: str
    client_secret: str | None = None
    next_action: NextAction | None = None
    failure_code: str | None = None  # e.g. "card_declined"
    failure_message: str | None = None  # e.g. "Your card has insufficient funds." (safe to show)


@dataclass(frozen=True)
class ProviderRefund:
    reference: str
    amount: int
    status: str  # "succeeded" | "pending" | "failed"


@dataclass(frozen=True)
class WebhookEvent:
    event_id: str  # the provider's event id: the dedup key of deliveries
    kind: str  # one of the WEBHOOK_* values
    reference: str | None  # the payment's provider reference
    amount: int | None = None  # refunded or disputed amount, in minor units
    failure_code: str | None = None
    failure_message: str | None = None
    raw_type: str = ""  # the provider's own event type, for logs
    created: int = 0  # the provider's event time (unix seconds): later events win over earlier ones
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderCharge:
    """One charge as the provider records it: what reconciliation compares with our intents."""

    reference: str
    amount: int
    currency: str
    status: str
    amount_refunded: int
    metadata: dict[str, str]
    created: int


@dataclass(frozen=True)
class SavedCard:
    """A payment method the provider keeps for a customer: what may be shown of it, never the number."""

    reference: str  # the provider's id of the saved method (Stripe's pm_..., the test gateway's pm_...)
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class ProviderSetup:
    """A card being saved without a charge (Stripe's SetupIntent): `requires_action` while the
    customer authenticates on `next_action`'s page, then `succeeded` with the saved `card`, or
    `failed` (nothing saved)."""

    reference: str
    status: str  # requires_action | processing | succeeded | failed
    next_action: NextAction | None = None
    card: SavedCard | None = None
    failure_code: str | None = None
    failure_message: str | None = None


@dataclass(frozen=True)
class IntentRequest:
    """One payment asked of a provider: how much, with which method, under which idempotency key
    (the same key for every retry of the same call), and how it is to be taken."""

    amount: int
    currency: str
    payment_method_token: str
    idempotency_key: str
    metadata: dict[str, str]
    return_url: str | None = None
    capture_method: str = "automatic"  # | "manual"
    # True: charged without the customer present (a saved method, a renewal). Nobody can do 3DS:
    # the provider declines (or answers requires_action, which payments records as failed with
    # `authentication_required`).
    off_session: bool = False
    # The provider's customer. With `saved_method` the token is a method saved for that customer
    # (providers refuse a saved method without its customer, off-session above all).
    customer_reference: str | None = None
    saved_method: bool = False
    # The customer is present and agrees to later charges without them: the provider may ask for
    # the authentication those need now (Stripe's `setup_future_usage: off_session`).
    save_for_future: bool = False


class PaymentProvider(Protocol):
    id: str  # "test" | "stripe": the PaymentGateways id
    currencies: frozenset[str]  # empty: every currency
    capabilities: frozenset[str]  # of "three_ds", "redirect", "refunds", "manual_capture"

    def create_intent(self, request: IntentRequest) -> ProviderIntent: ...

    def retrieve(self, reference: str) -> ProviderIntent: ...

    def capture(self, reference: str, *, idempotency_key: str) -> ProviderIntent: ...

    def cancel(self, reference: str, *, idempotency_key: str) -> ProviderIntent: ...

    def refund(self, reference: str, *, amount: int, reason: str, idempotency_key: str) -> ProviderRefund: ...

    def parse_webhook(self, headers: dict[str, str], body: bytes) -> WebhookEvent:
        """Verify the signature (raise SignatureError) and translate the event."""
        ...

    def charges(self, *, created_from: int, created_to: int) -> list[ProviderCharge]: ...

    def create_customer(self, *, customer_id: str, idempotency_key: str) -> str:
        """The provider's customer for ours (its reference): saved methods belong to it."""
        ...

    def attach_method(self, *, customer_reference: str, token: str, idempotency_key: str) -> SavedCard:
        """Save a one-time token's card for the customer, to be charged again (off-session too)."""
        ...

    def detach_method(self, reference: str, *, idempotency_key: str) -> None:
        """The saved method can never be charged again. Detaching one already detached is no error."""
        ...

    def create_setup(
        self, *, customer_reference: str, token: str, return_url: str | None, idempotency_key: str
    ) -> ProviderSetup:
        """Save a card for later charges without charging it, authenticated first if its bank asks."""
        ...

    def retrieve_setup(self, reference: str) -> ProviderSetup: ...
