"""Saved payment methods: a card a provider keeps for one of our customers, shown by brand, last 4
and expiry (never the number), charged again by its id, on- or off-session. Pure: the provider's
answer (`SavedCard`) comes in as data.

Each customer has at most one default method, the one a renewal charges when its subscription
names none (or names one since detached). The first method attached becomes the default; a
detached default leaves the customer with none, rather than promoting a card nobody chose.

Every change of a customer's default is one `PaymentMethodDefaultChanged` with the customer's
`defaultVersion`, counted by payments: the customers service keeps the latest it has seen, so a
redelivered or reordered event never brings back an older default. Every event of a customer's
methods is keyed by the customer, so they arrive in the order they were made.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from billing_shared.errors import FieldError, Problem
from billing_shared.events.domain import DomainEvent
from payments.domain.payment_provider import SavedCard

ATTACHED, DETACHED = "attached", "detached"


@dataclass(frozen=True)
class PaymentMethod:
    id: str
    customer_id: str
    gateway_id: str
    provider_reference: str  # the provider's id of the saved method: what a charge names
    provider_customer: str  # the provider's customer it is saved for
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    status: str
    created_at: datetime
    updated_at: datetime
    detached_at: datetime | None = None
    version: int = 1

    @property
    def attached(self) -> bool:
        return self.status == ATTACHED

    def expired(self, today: datetime) -> bool:
        """Cards work through the last day of their expiry month."""
        return (self.exp_year, self.exp_month) < (today.year, today.month)

    def event_data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "customerId": self.customer_id,
            "gatewayId": self.gateway_id,
            "brand": self.brand,
            "last4": self.last4,
            "expMonth": self.exp_month,
            "expYear": self.exp_year,
        }


@dataclass(frozen=True)
class ChargedWith:
    """What a charge is made on: a one-time token, or a saved method (its provider reference, with
    the provider's customer it is saved for, which every charge of it must name)."""

    token: str
    payment_method_id: str | None = None
    provider_customer: str | None = None

    @classmethod
    def saved(cls, method: PaymentMethod) -> ChargedWith:
        return cls(method.provider_reference, method.id, method.provider_customer)


@dataclass(frozen=True)
class DefaultMethod:
    """A customer's default method (None: no default) and how many times it has changed."""

    customer_id: str
    payment_method_id: str | None
    version: int = 0


def attach(
    method_id: str, customer_id: str, gateway_id: str, provider_customer: str, card: SavedCard, now: datetime
) -> tuple[PaymentMethod, DomainEvent]:
    method = PaymentMethod(
        id=method_id,
        customer_id=customer_id,
        gateway_id=gateway_id,
        provider_reference=card.reference,
        provider_customer=provider_customer,
        brand=card.brand,
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        status=ATTACHED,
        created_at=now,
        updated_at=now,
    )
    return method, DomainEvent("PaymentMethodAttached", customer_id, method.event_data())


def detach(method: PaymentMethod, now: datetime) -> tuple[PaymentMethod, list[DomainEvent]]:
    """Detached once: a method already detached changes nothing."""
    if not method.attached:
        return method, []
    after = replace(method, status=DETACHED, detached_at=now, updated_at=now, version=method.version + 1)
    return after, [DomainEvent("PaymentMethodDetached", method.customer_id, after.event_data())]


def becomes_default(current: DefaultMethod, *, asked: bool) -> bool:
    """A new method is the default when asked for, or when the customer has none."""
    return asked or current.payment_method_id is None


def change_default(
    current: DefaultMethod, method: PaymentMethod | None
) -> tuple[DefaultMethod, list[DomainEvent]]:
    """The customer's default becomes `method` (None: no default); the same again is no change.
    v2 names the method's gateway, so a consumer can have it charged without asking payments."""
    method_id = method.id if method else None
    if current.payment_method_id == method_id:
        return current, []
    after = DefaultMethod(current.customer_id, method_id, current.version + 1)
    data = {
        "customerId": current.customer_id,
        "paymentMethodId": method_id,
        "previousPaymentMethodId": current.payment_method_id,
        "defaultVersion": after.version,
        "gatewayId": method.gateway_id if method else None,
    }
    return after, [DomainEvent("PaymentMethodDefaultChanged", current.customer_id, data, version=2)]


def after_detach(current: DefaultMethod, detached: PaymentMethod) -> tuple[DefaultMethod, list[DomainEvent]]:
    """A detached default leaves no default; detaching another method leaves the default alone."""
    if current.payment_method_id != detached.id:
        return current, []
    return change_default(current, None)


def check_usable(method: PaymentMethod, *, customer_id: str, today: datetime) -> None:
    """Before a charge on a saved method: the payer's own, still attached, not expired. Each refusal
    is a 422 naming `paymentMethodId`; none reaches a provider."""
    if not method.attached or method.customer_id != customer_id:
        raise unknown_method(method.id)
    if method.expired(today):
        raise Problem(
            422,
            f"Payment method '{method.id}' expired in {method.exp_month:02d}/{method.exp_year}.",
            errors=[FieldError("paymentMethodId", "expired")],
        )


def unknown_method(method_id: str, field: str = "paymentMethodId") -> Problem:
    """A method that is not the customer's (or is detached): one answer, so a customer token cannot
    tell another customer's method from none."""
    return Problem(
        422, f"No payment method '{method_id}'.", errors=[FieldError(field, "unknown payment method")]
    )
