"""What callers ask of the payments service: one command or query per use case
(`payments.service_layer`). The API builds them from requests, `handlers.py` from events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from billing_shared.auth.scope import CustomerScope
from payments.domain.request_keys import RequestKey


@dataclass(frozen=True)
class CreateIntent:
    """Pay an order or an open invoice (exactly one; the payer present) with a one-time token or a
    saved method (exactly one)."""

    scope: CustomerScope
    request: RequestKey
    amount: int
    currency: str
    payment_method_token: str | None = None
    payment_method_id: str | None = None
    order_id: str | None = None
    invoice_id: str | None = None
    # Keep the token's card for the customer (charged again off-session, by renewals).
    save_payment_method: bool = False
    capture_method: str = "automatic"
    gateway_id: str | None = None  # None: the default gateway
    return_url: str | None = None


@dataclass(frozen=True)
class AttachPaymentMethod:
    """Save a card (a one-time token) for a customer at a gateway."""

    scope: CustomerScope
    request: RequestKey
    customer_id: str
    payment_method_token: str
    gateway_id: str | None = None  # None: the default gateway
    set_default: bool = False


@dataclass(frozen=True)
class CreateSetupIntent:
    """Save a card without charging it, 3D Secure first when the bank asks."""

    scope: CustomerScope
    request: RequestKey
    customer_id: str
    payment_method_token: str
    gateway_id: str | None = None
    return_url: str | None = None
    set_default: bool = False


@dataclass(frozen=True)
class RequestRenewalCharge:
    """A renewal invoice's off-session charge, as InvoicePaymentRequested asks for it."""

    invoice_id: str
    subscription_id: str
    attempt: int
    customer_id: str
    amount: int
    currency: str
    gateway_id: str
    payment_method_token: str


@dataclass(frozen=True)
class CreateRefund:
    scope: CustomerScope
    request: RequestKey
    payment_intent_id: str
    reason: str
    amount: int | None = None  # None: all that is left


@dataclass(frozen=True)
class ReceiveWebhook:
    """One delivery as the gateway sent it: verified by its adapter before anything is read."""

    gateway_id: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class SwitchGateway:
    gateway_id: str
    enabled: bool


@dataclass(frozen=True)
class Reconcile:
    day: date  # a UTC day
