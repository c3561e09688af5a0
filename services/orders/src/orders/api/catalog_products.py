"""/api/v1/Products: what can be sold, with one price per enabled currency in minor units.

Orders are priced from these prices on the server. A PATCH of `prices` replaces the whole set;
`If-Match` is honoured when sent (412 on a stale ETag), never required.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, make_response
from flask.views import MethodView

from billing_shared.auth.flask import requires
from billing_shared.errors import FieldError, Problem, not_found
from billing_shared.ids import new_id
from billing_shared.web.etag import check_if_match, etag
from billing_shared.web.schemas import page
from billing_shared.web.transaction import current_uow, transactional
from orders.api.catalog_common import BEARER, IDEMPOTENCY_KEY, IF_MATCH, CatalogBlueprint, db, refused
from orders.api.catalog_schemas import (
    ProductCreateSchema,
    ProductListArgs,
    ProductListSchema,
    ProductPatchSchema,
    ProductSchema,
)
from orders.domain import products as rules
from orders.domain.catalog import Product
from orders.store.catalog import CatalogRepository

blp = CatalogBlueprint(
    "products", __name__, url_prefix="/api/v1/Products", description="Products and their prices"
)
_PRODUCT = ProductSchema()


def _with_etag(product: Product, status: int = 200) -> Response:
    resp = make_response(_PRODUCT.dump(product), status)
    resp.headers["ETag"] = etag(product.version)
    return resp


def _price_errors(repo: CatalogRepository, prices: list[dict[str, Any]]) -> list[FieldError]:
    """Every price must be in a currency that is enabled now."""
    known = repo.currencies(p["currency"] for p in prices)
    errors = []
    for i, price in enumerate(prices):
        currency = known.get(price["currency"])
        if currency is None or not currency.enabled:
            errors.append(
                FieldError(
                    f"prices[{i}].currency", f"{price['currency']} is not enabled; see /api/v1/Currencies."
                )
            )
    return errors


def _as_map(prices: list[dict[str, Any]]) -> dict[str, int]:
    return {p["currency"]: p["unit_price"] for p in prices}


@blp.route("")
class ProductsCollection(MethodView):
    @requires("catalog:read")
    @blp.arguments(ProductListArgs, location="query")
    @blp.response(200, ProductListSchema)
    @blp.doc(security=BEARER)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List products, oldest first; filter by `active` and `billingCycleId`; cursor paging."""
        with db().unit_of_work(write=False) as uow:
            items = CatalogRepository(uow.session).product_page(
                limit=args["limit"] + 1,
                starting_after=args["starting_after"],
                active=args.get("active"),
                billing_cycle_id=args.get("billing_cycle_id"),
            )
        return page(items, args["limit"])

    @requires("catalog:write")
    @transactional
    @blp.arguments(ProductCreateSchema)
    @blp.response(201, ProductSchema)
    @blp.doc(security=BEARER, parameters=[IDEMPOTENCY_KEY])
    def post(self, body: dict[str, Any]) -> Response:
        """Create a product; every price's currency must be enabled and a `billingCycleId` must exist."""
        repo = CatalogRepository(current_uow().session)
        errors = _price_errors(repo, body["prices"])
        cycle_id = body.get("billing_cycle_id")
        if cycle_id is not None and repo.billing_cycle(cycle_id) is None:
            errors.append(
                FieldError("billingCycleId", f"No billing cycle '{cycle_id}'; see /api/v1/BillingCycles.")
            )
        if errors:
            raise refused(errors)
        product = rules.create(
            product_id=new_id("prod"), now=datetime.now(UTC), **(body | {"prices": _as_map(body["prices"])})
        )
        repo.add_product(product)
        resp = _with_etag(product, 201)
        resp.headers["Location"] = f"/api/v1/Products/{product.id}"
        return resp


@blp.route("/<string:product_id>")
class ProductItem(MethodView):
    @requires("catalog:read")
    @blp.response(200, ProductSchema)
    @blp.doc(security=BEARER)
    def get(self, product_id: str) -> Response:
        """One product with its prices; the ETag is its version."""
        with db().unit_of_work(write=False) as uow:
            product = CatalogRepository(uow.session).product(product_id)
        if product is None:
            raise not_found("product", product_id)
        return _with_etag(product)

    @requires("catalog:write")
    @transactional
    @blp.arguments(ProductPatchSchema)
    @blp.response(200, ProductSchema)
    @blp.doc(security=BEARER, parameters=[IF_MATCH])
    def patch(self, body: dict[str, Any], product_id: str) -> Response:
        """Change some fields; `prices` replaces the set. Orders already priced keep their prices."""
        repo = CatalogRepository(current_uow().session)
        product = repo.product(product_id, for_update=True)
        if product is None:
            raise not_found("product", product_id)
        check_if_match(product.version)
        changes = dict(body)
        if "prices" in body:
            errors = _price_errors(repo, body["prices"])
            if errors:
                raise refused(errors)
            changes["prices"] = _as_map(body["prices"])
        updated = rules.update(product, changes, datetime.now(UTC))
        if updated is None:
            return _with_etag(product)
        if not repo.save_product(
            updated, expected_version=product.version, prices_changed=updated.prices != product.prices
        ):
            raise Problem(409, "The product changed while this update ran; retry.")
        return _with_etag(updated)
