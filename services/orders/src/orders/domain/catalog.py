"""The catalog as pricing sees it: currencies, billing cycles, products with prices, coupons."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

INTERVAL_UNITS = ("day", "week", "month", "year")
COUPON_DURATIONS = ("once", "forever", "repeating")


@dataclass(frozen=True)
class Currency:
    code: str
    name: str
    exponent: int
    enabled: bool


@dataclass(frozen=True)
class BillingCycle:
    id: str
    name: str
    interval_unit: str  # day | week | month | year
    interval_count: int
    created_at: datetime


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    tax_category: str
    active: bool
    prices: dict[str, int]  # currency -> unit price in minor units
    billing_cycle_id: str | None
    created_at: datetime
    updated_at: datetime
    description: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    version: int = 1
    trial_days: int | None = None  # a recurring product's default trial, unless the order says otherwise

    @property
    def recurring(self) -> bool:
        return self.billing_cycle_id is not None


@dataclass(frozen=True)
class TaxRule:
    id: str
    name: str
    country: str
    region: str | None
    tax_category: str | None
    rate: Decimal
    inclusive: bool
    active: bool
    created_at: datetime
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    deactivated_at: datetime | None = None

    @property
    def scope_key(self) -> str:
        return scope_key(self.country, self.region, self.tax_category)


def scope_key(country: str, region: str | None, tax_category: str | None) -> str:
    """The scope in which at most one tax rule may be active."""
    return f"{country}|{region or ''}|{tax_category or ''}"


@dataclass(frozen=True)
class Coupon:
    id: str
    code: str
    percent_off: Decimal | None
    amount_off: int | None
    currency: str | None  # with amount_off only
    redeem_by: datetime | None
    max_redemptions: int | None
    times_redeemed: int
    product_ids: list[str] | None  # None: every product
    duration: str  # once | forever | repeating
    duration_in_cycles: int | None
    active: bool
    created_at: datetime
    metadata: dict[str, Any] = field(default_factory=dict)
