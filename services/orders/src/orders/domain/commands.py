"""What callers ask of the orders service: one command or query per use case
(`orders.service_layer`). The API builds them from requests, `handlers.py` from events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from billing_shared.auth.scope import CustomerScope
from billing_shared.concurrency import IfMatch
from orders.domain.order_pricing import Item

# -- the catalog ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SwitchCurrency:
    code: str
    enabled: bool


@dataclass(frozen=True)
class CreateBillingCycle:
    name: str
    interval_unit: str
    interval_count: int


@dataclass(frozen=True)
class CreateProduct:
    name: str
    tax_category: str
    prices: list[tuple[str, int]]  # (currency, unit price) in the order the client sent them
    active: bool = True
    description: str | None = None
    billing_cycle_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    trial_days: int | None = None


@dataclass(frozen=True)
class UpdateProduct:
    product_id: str
    changes: dict[str, Any]  # snake_case field -> value; `prices` as (currency, unit price) pairs
    if_match: IfMatch | None = None


@dataclass(frozen=True)
class CreateTaxRule:
    name: str
    country: str
    rate: Decimal
    region: str | None = None
    tax_category: str | None = None
    inclusive: bool = False
    valid_from: datetime | None = None
    valid_to: datetime | None = None


@dataclass(frozen=True)
class SetTaxRuleActive:
    rule_id: str
    active: bool


@dataclass(frozen=True)
class CreateCoupon:
    code: str
    duration: str = "once"
    percent_off: Decimal | None = None
    amount_off: int | None = None
    currency: str | None = None
    redeem_by: datetime | None = None
    max_redemptions: int | None = None
    product_ids: list[str] | None = None
    duration_in_cycles: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ChangeCoupon:
    coupon_id: str
    active: bool | None = None
    metadata: dict[str, str | None] = field(default_factory=dict)  # a null value deletes the key


@dataclass(frozen=True)
class CheckCoupon:
    """Would this code apply to an order now? With `items`, the exact discount too."""

    scope: CustomerScope
    customer_id: str
    code: str
    currency: str
    items: list[Item] | None = None


# -- orders -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceOrder:
    scope: CustomerScope
    customer_id: str
    currency: str
    items: list[Item]
    billing_cycle_id: str | None = None
    coupon_code: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    may_override_price: bool = False  # the caller holds orders:price_override
    trial_days: int | None = None
