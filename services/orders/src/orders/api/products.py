"""/api/v1/Products: what can be sold, with one price per enabled currency in minor units.

Orders are priced from these prices on the server. A PATCH of `prices` replaces the whole set;
`If-Match` is honoured when sent (412 on a stale ETag), never required.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from billing_shared.web.context import if_match, reading
from billing_shared.web.responses import ResourceAnswer
from billing_shared.web.routes import Listing, changes, creates, list_route, reads
from billing_shared.web.transaction import current_uow
from orders.api.catalog_schemas import (
    ProductCreateSchema,
    ProductListArgs,
    ProductPatchSchema,
    ProductSchema,
)
from orders.api.exact_json import ExactJsonBlueprint
from orders.domain.commands import CreateProduct, UpdateProduct
from orders.service_layer import catalog

blp = ExactJsonBlueprint(
    "products", __name__, url_prefix="/api/v1/Products", description="Products and their prices"
)
_PRODUCT = ProductSchema()


_answer = ResourceAnswer(_PRODUCT.dump, "/api/v1/Products")


def _prices(prices: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(p["currency"], p["unit_price"]) for p in prices]


list_route(
    blp,
    "",
    "catalog:read",
    Listing(ProductListArgs, ProductSchema, catalog.list_products, _PRODUCT.dump, scoped=False),
)


@blp.route("")
class ProductsCollection(MethodView):
    @creates(blp, "catalog:write", body=ProductCreateSchema, response=ProductSchema)
    def post(self, body: dict[str, Any]) -> Response:
        """Create a product; every price's currency must be enabled and a `billingCycleId` must exist."""
        cmd = CreateProduct(**(body | {"prices": _prices(body["prices"])}))
        return _answer(catalog.create_product(current_uow(), cmd), 201)


@blp.route("/<string:product_id>")
class ProductItem(MethodView):
    @reads(blp, "catalog:read", response=ProductSchema)
    def get(self, product_id: str) -> Response:
        """One product with its prices; the ETag is its version."""
        with reading() as uow:
            return _answer(catalog.get_product(uow, product_id))

    @changes(blp, "catalog:write", response=ProductSchema, body=ProductPatchSchema, if_match=True)
    def patch(self, body: dict[str, Any], product_id: str) -> Response:
        """Change some fields; `prices` replaces the set. Orders already priced keep their prices."""
        changes = body | ({"prices": _prices(body["prices"])} if "prices" in body else {})
        return _answer(catalog.update_product(current_uow(), UpdateProduct(product_id, changes, if_match())))
