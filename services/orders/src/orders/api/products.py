"""/api/v1/Products: what can be sold, with one price per enabled currency in minor units.

Orders are priced from these prices on the server. A PATCH of `prices` replaces the whole set;
`If-Match` is honoured when sent (412 on a stale ETag), never required.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from billing_shared.auth.flask import requires
from billing_shared.web.context import if_match, reading
from billing_shared.web.responses import (
    BEARER,
    IDEMPOTENCY_KEY,
    IF_MATCH,
    list_response,
    page_request,
    resource_response,
)
from billing_shared.web.transaction import current_uow, transactional
from orders.api.catalog_schemas import (
    ProductCreateSchema,
    ProductListArgs,
    ProductListSchema,
    ProductPatchSchema,
    ProductSchema,
)
from orders.api.exact_json import ExactJsonBlueprint
from orders.domain.catalog import Product
from orders.domain.commands import CreateProduct, ListProducts, UpdateProduct
from orders.service_layer import catalog

blp = ExactJsonBlueprint(
    "products", __name__, url_prefix="/api/v1/Products", description="Products and their prices"
)
_PRODUCT = ProductSchema()


def _answer(product: Product, status: int = 200) -> Response:
    return resource_response(
        _PRODUCT.dump(product),
        version=product.version,
        status=status,
        location=f"/api/v1/Products/{product.id}",
    )


def _prices(prices: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(p["currency"], p["unit_price"]) for p in prices]


@blp.route("")
class ProductsCollection(MethodView):
    @requires("catalog:read")
    @blp.arguments(ProductListArgs, location="query")
    @blp.response(200, ProductListSchema)
    @blp.doc(security=BEARER)
    def get(self, args: dict[str, Any]) -> Response:
        """List products, oldest first; filter by `active` and `billingCycleId`; cursor paging."""
        query = ListProducts(
            page_request(args), active=args.get("active"), billing_cycle_id=args.get("billing_cycle_id")
        )
        with reading() as uow:
            return list_response(catalog.list_products(uow, query), _PRODUCT.dump)

    @requires("catalog:write")
    @transactional
    @blp.arguments(ProductCreateSchema)
    @blp.response(201, ProductSchema)
    @blp.doc(security=BEARER, parameters=[IDEMPOTENCY_KEY])
    def post(self, body: dict[str, Any]) -> Response:
        """Create a product; every price's currency must be enabled and a `billingCycleId` must exist."""
        cmd = CreateProduct(**(body | {"prices": _prices(body["prices"])}))
        return _answer(catalog.create_product(current_uow(), cmd), 201)


@blp.route("/<string:product_id>")
class ProductItem(MethodView):
    @requires("catalog:read")
    @blp.response(200, ProductSchema)
    @blp.doc(security=BEARER)
    def get(self, product_id: str) -> Response:
        """One product with its prices; the ETag is its version."""
        with reading() as uow:
            return _answer(catalog.get_product(uow, product_id))

    @requires("catalog:write")
    @transactional
    @blp.arguments(ProductPatchSchema)
    @blp.response(200, ProductSchema)
    @blp.doc(security=BEARER, parameters=[IF_MATCH])
    def patch(self, body: dict[str, Any], product_id: str) -> Response:
        """Change some fields; `prices` replaces the set. Orders already priced keep their prices."""
        changes = body | ({"prices": _prices(body["prices"])} if "prices" in body else {})
        return _answer(catalog.update_product(current_uow(), UpdateProduct(product_id, changes, if_match())))
