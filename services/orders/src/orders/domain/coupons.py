"""When a coupon applies to an order, how it enters the pricing rule, and what may change on it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from billing_shared.commands import given
from billing_shared.errors import FieldError
from billing_shared.metadata import merge as merge_metadata
from billing_shared.pricing import CouponInput
from orders.domain.catalog import Coupon, Currency

if TYPE_CHECKING:  # commands import the pricing items, which import these rules
    from orders.domain.commands import CreateCoupon


@dataclass(frozen=True)
class CouponCheck:
    """The answer to "would this code apply now?": `discount` only when items were given."""

    valid: bool
    reason: str | None
    discount: int | None


def refusal(coupon: Coupon | None, *, currency: str, product_ids: list[str], now: datetime) -> str | None:
    """Why this coupon cannot be used on an order with these products, or None when it can.

    Exhaustion is checked here for a clear answer, and again atomically when the coupon is
    redeemed in the order's transaction, which is what makes `maxRedemptions` hold under races.
    """
    if coupon is None or not coupon.active:
        return "unknown coupon"
    if coupon.redeem_by is not None and now > coupon.redeem_by:
        return f"expired on {coupon.redeem_by.isoformat()}"
    if coupon.max_redemptions is not None and coupon.times_redeemed >= coupon.max_redemptions:
        return f"exhausted: redeemed {coupon.times_redeemed} of {coupon.max_redemptions} times"
    if coupon.amount_off is not None and coupon.currency != currency:
        return f"the coupon is in {coupon.currency}, the order in {currency}"
    if coupon.product_ids is not None and not set(product_ids) & set(coupon.product_ids):
        return "not valid for these products"
    return None


def applies_to(coupon: Coupon, product_id: str) -> bool:
    return coupon.product_ids is None or product_id in coupon.product_ids


def pricing_input(coupon: Coupon) -> CouponInput:
    return CouponInput(code=coupon.code, percent_off=coupon.percent_off, amount_off=coupon.amount_off)


def creation_errors(
    currency_code: str | None, currency: Currency | None, product_ids: list[str], known: Iterable[str]
) -> list[FieldError]:
    """An amount-off coupon's currency must be enabled; restricted products must exist."""
    errors = []
    if currency_code is not None and (currency is None or not currency.enabled):
        errors.append(FieldError("currency", f"{currency_code} is not enabled; see /api/v1/Currencies."))
    found = set(known)
    errors += [
        FieldError(f"productIds[{i}]", f"No product '{pid}'.")
        for i, pid in enumerate(product_ids)
        if pid not in found
    ]
    return errors


def change_settings(coupon: Coupon, active: bool | None, metadata: dict[str, str | None]) -> Coupon:
    """Only whether it is active and its metadata change after creation; its terms never do."""
    return dataclasses.replace(
        coupon,
        active=coupon.active if active is None else active,
        metadata=merge_metadata(coupon.metadata, metadata),
    )


def create(coupon_id: str, cmd: CreateCoupon, now: datetime) -> Coupon:
    """A new coupon, active and never redeemed (its terms checked by `creation_errors` first)."""
    fields = given(cmd) | {"redeem_by": cmd.redeem_by.astimezone(UTC) if cmd.redeem_by else None}
    return Coupon(id=coupon_id, times_redeemed=0, active=True, created_at=now, **fields)
