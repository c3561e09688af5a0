"""/api/v1/Coupons: percent-off or amount-off codes, with limits, and a check a storefront can call
(`orders.service_layer.coupons` says when a coupon applies)."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Response
from flask.views import MethodView

from billing_shared.web.context import caller_scope, reading
from billing_shared.web.responses import resource_response
from billing_shared.web.routes import Listing, changes, creates, list_route, reads
from billing_shared.web.transaction import current_uow
from orders.api.catalog_schemas import (
    CouponCreateSchema,
    CouponListArgs,
    CouponPatchSchema,
    CouponSchema,
    CouponValidateSchema,
    CouponValidationSchema,
)
from orders.api.exact_json import ExactJsonBlueprint
from orders.domain.catalog import Coupon
from orders.domain.commands import ChangeCoupon, CheckCoupon, CreateCoupon
from orders.domain.order_pricing import Item
from orders.service_layer import coupons

blp = ExactJsonBlueprint("coupons", __name__, url_prefix="/api/v1/Coupons", description="Discount codes")
_COUPON = CouponSchema()


list_route(
    blp,
    "",
    "catalog:read",
    Listing(CouponListArgs, CouponSchema, coupons.list_coupons, _COUPON.dump, scoped=False),
)


@blp.route("")
class CouponsCollection(MethodView):
    @creates(blp, "catalog:write", body=CouponCreateSchema, response=CouponSchema)
    def post(self, body: dict[str, Any]) -> Response:
        """Create a coupon: `percentOff` or `amountOff` + `currency`; a code already in use is a 409."""
        coupon = coupons.create_coupon(current_uow(), CreateCoupon(**body))
        return resource_response(_COUPON.dump(coupon), status=201, location=f"/api/v1/Coupons/{coupon.id}")


@blp.route("/validate")
class CouponValidation(MethodView):
    @reads(blp, "orders:read", response=CouponValidationSchema, body=CouponValidateSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Would this code apply to an order now? Redeems nothing. With `items`, the exact discount too."""
        items = body.get("items")
        query = CheckCoupon(
            caller_scope(),
            customer_id=body["customer_id"],
            code=body["code"],
            currency=body["currency"],
            items=None if items is None else [Item(i["product_id"], i["quantity"], None) for i in items],
        )
        with reading() as uow:
            return dataclasses.asdict(coupons.check_coupon(uow, query))


@blp.route("/<string:coupon_id>")
class CouponItem(MethodView):
    @reads(blp, "catalog:read", response=CouponSchema)
    def get(self, coupon_id: str) -> Coupon:
        """One coupon with `timesRedeemed`."""
        with reading() as uow:
            return coupons.get_coupon(uow, coupon_id)

    @changes(blp, "catalog:write", response=CouponSchema, body=CouponPatchSchema)
    def patch(self, body: dict[str, Any], coupon_id: str) -> Coupon:
        """Switch a coupon off (or on again) or change its metadata; its terms never change."""
        cmd = ChangeCoupon(coupon_id, active=body.get("active"), metadata=body.get("metadata", {}))
        return coupons.change_coupon(current_uow(), cmd)
