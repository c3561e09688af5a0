"""Coupons: created with their terms, switched on or off, checked by a storefront before an order.

When a coupon applies is decided in one place, `orders.domain.coupons.refusal`, for the check here and
for order creation alike; a `discount` quoted here comes from the platform's pricing rule on the
catalog's prices, so it is exactly what an order of the same items gets (before tax). `maxRedemptions`
is enforced when an order redeems the coupon (`CatalogRepository.redeem_coupon`), atomically.
"""

from __future__ import annotations

from datetime import UTC, datetime

from billing_shared.db.uow import UnitOfWork
from billing_shared.errors import FieldError, Problem, existing, invalid_field, invalid_fields
from billing_shared.ids import new_id
from billing_shared.paging import Page, PageRequest
from billing_shared.pricing import PricingError, price_order
from orders.domain import coupons
from orders.domain.catalog import Coupon
from orders.domain.commands import ChangeCoupon, CheckCoupon, CreateCoupon
from orders.domain.coupons import CouponCheck
from orders.domain.order_pricing import quote_lines
from orders.store.catalog import CatalogRepository


def list_coupons(uow: UnitOfWork, page: PageRequest, *, code: str | None = None) -> Page[Coupon]:
    return CatalogRepository(uow.session).coupon_page(page, code=code)


def get_coupon(uow: UnitOfWork, coupon_id: str) -> Coupon:
    return existing(CatalogRepository(uow.session).coupon(coupon_id), "coupon", coupon_id)


def create_coupon(uow: UnitOfWork, cmd: CreateCoupon) -> Coupon:
    """`percentOff`, or `amountOff` in an enabled currency; a code already in use is a 409."""
    repo = CatalogRepository(uow.session)
    wanted = cmd.product_ids or []
    currency = repo.currency(cmd.currency) if cmd.currency is not None else None
    errors = coupons.creation_errors(cmd.currency, currency, wanted, repo.existing_product_ids(wanted))
    if errors:
        raise invalid_fields(errors)
    coupon = coupons.create(new_id("cpn"), cmd, datetime.now(UTC))
    if not repo.add_coupon(coupon):
        taken = repo.coupon_by_code(coupon.code)
        raise Problem(
            409,
            f"The code '{coupon.code}' is already used by coupon '{taken.id if taken else '?'}'.",
            errors=[FieldError("code", "already in use")],
            extra={"existingCouponId": taken.id} if taken else {},
        )
    return coupon


def change_coupon(uow: UnitOfWork, cmd: ChangeCoupon) -> Coupon:
    repo = CatalogRepository(uow.session)
    coupon = existing(repo.coupon(cmd.coupon_id, for_update=True), "coupon", cmd.coupon_id)
    updated = coupons.change_settings(coupon, cmd.active, cmd.metadata)
    if updated != coupon:
        repo.save_coupon_settings(updated)
    return updated


def check_coupon(uow: UnitOfWork, query: CheckCoupon) -> CouponCheck:
    """Redeems nothing. Without items there is no product to check a restriction against: the rest
    is judged; with items, the exact discount the pricing rule gives them."""
    if not query.scope.sees(query.customer_id):
        raise Problem(403, "A customer token can only check coupons for its own customer.")
    repo = CatalogRepository(uow.session)
    currency = repo.currency(query.currency)
    coupon = repo.coupon_by_code(query.code)
    if currency is None or not currency.enabled:
        raise invalid_field("currency", f"{query.currency} is not enabled; see /api/v1/Currencies.")
    now = datetime.now(UTC)
    if query.items is None:
        restricted = coupon.product_ids if coupon is not None and coupon.product_ids else []
        reason = coupons.refusal(coupon, currency=currency.code, product_ids=restricted, now=now)
        return CouponCheck(valid=reason is None, reason=reason, discount=None)
    products = repo.products([i.product_id for i in query.items])
    lines = quote_lines(query.items, products, currency.code, coupon)
    reason = coupons.refusal(
        coupon, currency=currency.code, product_ids=[line.product_id for line in lines], now=now
    )
    if reason is not None or coupon is None:
        return CouponCheck(valid=False, reason=reason, discount=0)
    try:
        priced = price_order(currency.code, lines, coupons.pricing_input(coupon))
    except PricingError as exc:
        raise invalid_field(exc.field.replace("lines[", "items["), exc.message) from None
    return CouponCheck(valid=True, reason=None, discount=priced.discount_total)
