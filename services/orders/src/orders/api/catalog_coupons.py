"""/api/v1/Coupons: percent-off or amount-off codes, with limits, and a check a storefront can call.

When a coupon applies is decided in one place, `orders.domain.coupons.refusal`, for the check here and
for order creation alike; a `discount` quoted here comes from the platform's pricing rule on the
catalog's prices, so it is exactly what an order of the same items gets (before tax). `maxRedemptions`
is enforced when an order redeems the coupon (`CatalogRepository.redeem_coupon`), atomically.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from flask import Response, make_response
from flask.views import MethodView

from billing_shared.auth.flask import current_principal, requires
from billing_shared.errors import FieldError, Problem, not_found
from billing_shared.ids import new_id
from billing_shared.pricing import LineInput, PricingError, price_order
from billing_shared.web.schemas import page
from billing_shared.web.transaction import current_uow, transactional
from orders.api.catalog_common import BEARER, IDEMPOTENCY_KEY, CatalogBlueprint, db, invalid, refused
from orders.api.catalog_schemas import (
    CouponCreateSchema,
    CouponListArgs,
    CouponListSchema,
    CouponPatchSchema,
    CouponSchema,
    CouponValidateSchema,
    CouponValidationSchema,
)
from orders.domain import coupons as coupon_rules
from orders.domain.catalog import Coupon, Product
from orders.store.catalog import CatalogRepository

blp = CatalogBlueprint("coupons", __name__, url_prefix="/api/v1/Coupons", description="Discount codes")
_COUPON = CouponSchema()


def _creation_errors(repo: CatalogRepository, body: dict[str, Any]) -> list[FieldError]:
    errors = []
    code = body.get("currency")
    if code is not None:
        currency = repo.currency(code)
        if currency is None or not currency.enabled:
            errors.append(FieldError("currency", f"{code} is not enabled; see /api/v1/Currencies."))
    wanted = body.get("product_ids") or []
    known = repo.existing_product_ids(wanted)
    errors += [
        FieldError(f"productIds[{i}]", f"No product '{pid}'.")
        for i, pid in enumerate(wanted)
        if pid not in known
    ]
    return errors


@blp.route("")
class CouponsCollection(MethodView):
    @requires("catalog:read")
    @blp.arguments(CouponListArgs, location="query")
    @blp.response(200, CouponListSchema)
    @blp.doc(security=BEARER)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List coupons, oldest first; filter by `code`; page with `limit` and `startingAfter`."""
        with db().unit_of_work(write=False) as uow:
            items = CatalogRepository(uow.session).coupon_page(
                limit=args["limit"] + 1, starting_after=args["starting_after"], code=args.get("code")
            )
        return page(items, args["limit"])

    @requires("catalog:write")
    @transactional
    @blp.arguments(CouponCreateSchema)
    @blp.response(201, CouponSchema)
    @blp.doc(security=BEARER, parameters=[IDEMPOTENCY_KEY])
    def post(self, body: dict[str, Any]) -> Response:
        """Create a coupon: `percentOff` or `amountOff` + `currency`; a code already in use is a 409."""
        repo = CatalogRepository(current_uow().session)
        errors = _creation_errors(repo, body)
        if errors:
            raise refused(errors)
        coupon = Coupon(
            id=new_id("cpn"),
            code=body["code"],
            percent_off=body.get("percent_off"),
            amount_off=body.get("amount_off"),
            currency=body.get("currency"),
            redeem_by=body["redeem_by"].astimezone(UTC) if body.get("redeem_by") else None,
            max_redemptions=body.get("max_redemptions"),
            times_redeemed=0,
            product_ids=body.get("product_ids"),
            duration=body["duration"],
            duration_in_cycles=body.get("duration_in_cycles"),
            active=True,
            created_at=datetime.now(UTC),
            metadata=body.get("metadata", {}),
        )
        if not repo.add_coupon(coupon):
            taken = repo.coupon_by_code(coupon.code)
            raise Problem(
                409,
                f"The code '{coupon.code}' is already used by coupon '{taken.id if taken else '?'}'.",
                errors=[FieldError("code", "already in use")],
                extra={"existingCouponId": taken.id} if taken else {},
            )
        resp = make_response(_COUPON.dump(coupon), 201)
        resp.headers["Location"] = f"/api/v1/Coupons/{coupon.id}"
        return resp


@blp.route("/validate")
class CouponValidation(MethodView):
    @requires("orders:read")
    @blp.arguments(CouponValidateSchema)
    @blp.response(200, CouponValidationSchema)
    @blp.doc(security=BEARER)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Would this code apply to an order now? Redeems nothing. With `items`, the exact discount too."""
        principal = current_principal()
        if principal.is_customer and principal.customer_id != body["customer_id"]:
            raise Problem(403, "A customer token can only check coupons for its own customer.")
        items = body.get("items")
        with db().unit_of_work(write=False) as uow:
            repo = CatalogRepository(uow.session)
            currency = repo.currency(body["currency"])
            coupon = repo.coupon_by_code(body["code"])
            products = repo.products([i["product_id"] for i in items]) if items else {}
        if currency is None or not currency.enabled:
            raise invalid("currency", f"{body['currency']} is not enabled; see /api/v1/Currencies.")
        now = datetime.now(UTC)
        if items is None:
            # Without items there is no product to check a restriction against: judge the rest.
            restricted = coupon.product_ids if coupon is not None and coupon.product_ids else []
            reason = coupon_rules.refusal(coupon, currency=currency.code, product_ids=restricted, now=now)
            return {"valid": reason is None, "reason": reason, "discount": None}
        lines = _lines(items, products, currency.code, coupon)
        reason = coupon_rules.refusal(
            coupon, currency=currency.code, product_ids=[line.product_id for line in lines], now=now
        )
        if reason is not None or coupon is None:
            return {"valid": False, "reason": reason, "discount": 0}
        try:
            priced = price_order(currency.code, lines, coupon_rules.pricing_input(coupon))
        except PricingError as exc:
            raise invalid(exc.field.replace("lines[", "items["), exc.message) from None
        return {"valid": True, "reason": None, "discount": priced.discount_total}


def _lines(
    items: list[dict[str, Any]], products: dict[str, Product], currency: str, coupon: Coupon | None
) -> list[LineInput]:
    """The order lines these items make, at catalog prices, refused as an order would refuse them."""
    errors: list[FieldError] = []
    lines: list[LineInput] = []
    for i, item in enumerate(items):
        product = products.get(item["product_id"])
        where = f"items[{i}].productId"
        if product is None:
            errors.append(FieldError(where, f"No product '{item['product_id']}'."))
        elif not product.active:
            errors.append(FieldError(where, f"Product '{product.id}' is not active."))
        elif currency not in product.prices:
            errors.append(FieldError(where, f"Product '{product.id}' has no price in {currency}."))
        else:
            lines.append(
                LineInput(
                    product_id=product.id,
                    quantity=item["quantity"],
                    unit_price=product.prices[currency],
                    tax=None,  # a coupon applies before tax: tax does not change the discount
                    discountable=coupon is None or coupon_rules.applies_to(coupon, product.id),
                )
            )
    if errors:
        raise refused(errors)
    return lines


@blp.route("/<string:coupon_id>")
class CouponItem(MethodView):
    @requires("catalog:read")
    @blp.response(200, CouponSchema)
    @blp.doc(security=BEARER)
    def get(self, coupon_id: str) -> Coupon:
        """One coupon with `timesRedeemed`."""
        with db().unit_of_work(write=False) as uow:
            coupon = CatalogRepository(uow.session).coupon(coupon_id)
        if coupon is None:
            raise not_found("coupon", coupon_id)
        return coupon

    @requires("catalog:write")
    @transactional
    @blp.arguments(CouponPatchSchema)
    @blp.response(200, CouponSchema)
    @blp.doc(security=BEARER)
    def patch(self, body: dict[str, Any], coupon_id: str) -> Coupon:
        """Switch a coupon off (or on again) or change its metadata; its terms never change."""
        repo = CatalogRepository(current_uow().session)
        coupon = repo.coupon(coupon_id, for_update=True)
        if coupon is None:
            raise not_found("coupon", coupon_id)
        metadata = dict(coupon.metadata)
        for key, value in body.get("metadata", {}).items():
            if value is None:
                metadata.pop(key, None)
            else:
                metadata[key] = value
        updated = dataclasses.replace(coupon, active=body.get("active", coupon.active), metadata=metadata)
        if updated != coupon:
            repo.save_coupon_settings(updated)
        return updated
