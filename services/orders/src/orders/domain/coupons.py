"""When a coupon applies to an order, and how it enters the pricing rule."""

from __future__ import annotations

from datetime import datetime

from billing_shared.pricing import CouponInput
from orders.domain.catalog import Coupon


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
