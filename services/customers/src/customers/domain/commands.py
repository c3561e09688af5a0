"""What callers ask of the customers service: one command or query per use case
(`customers.service_layer`). The API builds them from requests, `handlers.py` from events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from billing_shared.auth.scope import CustomerScope
from billing_shared.concurrency import IfMatch


@dataclass(frozen=True)
class CreateCustomer:
    scope: CustomerScope
    name: str
    email: str
    billing_address: dict[str, str] | None = None
    tax_id: str | None = None
    preferred_currency: str | None = None
    preferred_locale: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class UpdateCustomer:
    scope: CustomerScope
    customer_id: str
    changes: dict[str, Any]  # snake_case field -> new value; `metadata` merges key by key
    if_match: IfMatch | None = None


@dataclass(frozen=True)
class RecordDefaultMethod:
    """PaymentMethodDefaultChanged as customers reads it."""

    customer_id: str
    payment_method_id: str | None
    default_version: int
