"""What a customer is, what may change, and the events a change raises."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from billing_shared.commands import given
from billing_shared.events.domain import DomainEvent
from billing_shared.metadata import merge as merge_metadata
from billing_shared.naming import camel
from customers.domain.commands import CreateCustomer

MUTABLE_FIELDS = (
    "name",
    "email",
    "billing_address",
    "tax_id",
    "preferred_currency",
    "preferred_locale",
    "metadata",
)
# The languages a customer's PDFs, hosted pages and e-mails can be in (`preferredLocale`).
LOCALES = ("en", "de", "fr")
# The version of CustomerCreated / CustomerUpdated published (v2: with `preferredLocale`); named
# apart from other services' constants, which the AsyncAPI scan reads by name.
CUSTOMER_EVENT_VERSION = 2


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    email: str
    billing_address: dict[str, str] | None
    tax_id: str | None
    preferred_currency: str | None
    # The language of their PDFs, hosted pages and e-mails (one of LOCALES); None: not chosen.
    preferred_locale: str | None
    metadata: dict[str, str]
    created_at: datetime
    updated_at: datetime
    version: int = 1
    references: dict[str, list[str]] = field(default_factory=dict)
    # Payments' choice (PaymentMethodDefaultChanged), and the highest of its counts seen: payments
    # owns saved methods, the customer shows which one is the default.
    default_payment_method_id: str | None = None
    default_method_version: int = 0
    # Invoicing's figure (CustomerBalanceChanged): credit per currency, positive = owed to them.
    credit_balance: dict[str, int] = field(default_factory=dict)

    @property
    def customer_id(self) -> str:
        """Whose data this is (the scope rule of `billing_shared.auth.scope`): its own."""
        return self.id

    def snapshot(self) -> dict[str, Any]:
        """The customer as its events carry it (camelCase, as on the API)."""
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "billingAddress": _camel_keys(self.billing_address),
            "taxId": self.tax_id,
            "preferredCurrency": self.preferred_currency,
            "preferredLocale": self.preferred_locale,
            "metadata": dict(self.metadata),
            "createdAt": self.created_at.isoformat(),
            "updatedAt": self.updated_at.isoformat(),
            "version": self.version,
        }


def normalize_email(email: str) -> str:
    """The filter key: e-mail addresses compare case-insensitively in practice."""
    return email.strip().lower()


def create(customer_id: str, cmd: CreateCustomer, now: datetime) -> tuple[Customer, DomainEvent]:
    customer = Customer(id=customer_id, created_at=now, updated_at=now, **given(cmd))
    return customer, DomainEvent(
        "CustomerCreated", customer.id, customer.snapshot(), version=CUSTOMER_EVENT_VERSION
    )


def update(customer: Customer, changes: dict[str, Any], now: datetime) -> tuple[Customer, DomainEvent | None]:
    """Apply a partial update. `metadata` merges key by key (a null value deletes the key), like
    the address replaces as a whole. No effective change → no new version and no event."""
    unknown = set(changes) - set(MUTABLE_FIELDS)
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    values = dict(changes)
    if "metadata" in values:
        values["metadata"] = merge_metadata(customer.metadata, values["metadata"] or {})
    changed = sorted(k for k, v in values.items() if getattr(customer, k) != v)
    if not changed:
        return customer, None
    updated = replace(
        customer, **{k: values[k] for k in changed}, updated_at=now, version=customer.version + 1
    )
    data = updated.snapshot() | {"changed": [camel(k) for k in changed]}
    return updated, DomainEvent("CustomerUpdated", updated.id, data, version=CUSTOMER_EVENT_VERSION)


def _camel_keys(d: dict[str, str] | None) -> dict[str, str] | None:
    return None if d is None else {camel(k): v for k, v in d.items()}


def with_default_method(
    customer: Customer, method_id: str | None, count: int, now: datetime
) -> Customer | None:
    """The customer showing payments' `count`-th choice of default method; None when it shows that
    one or a later one already (a redelivered or reordered event changes nothing)."""
    if count <= customer.default_method_version:
        return None
    return replace(
        customer,
        default_payment_method_id=method_id,
        default_method_version=count,
        updated_at=now,
        version=customer.version + 1,
    )
