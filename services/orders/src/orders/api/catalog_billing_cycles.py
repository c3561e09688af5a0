"""/api/v1/BillingCycles: how often a recurring product renews (every `intervalCount` `intervalUnit`s)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, make_response
from flask.views import MethodView

from billing_shared.auth.flask import requires
from billing_shared.errors import not_found
from billing_shared.ids import new_id
from billing_shared.web.schemas import ListArgs, page
from billing_shared.web.transaction import current_uow, transactional
from orders.api.catalog_common import BEARER, IDEMPOTENCY_KEY, CatalogBlueprint, db
from orders.api.catalog_schemas import BillingCycleCreateSchema, BillingCycleListSchema, BillingCycleSchema
from orders.domain.catalog import BillingCycle
from orders.store.catalog import CatalogRepository

blp = CatalogBlueprint(
    "billing_cycles", __name__, url_prefix="/api/v1/BillingCycles", description="Renewal periods of products"
)
_CYCLE = BillingCycleSchema()


@blp.route("")
class BillingCyclesCollection(MethodView):
    @requires("catalog:read")
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, BillingCycleListSchema)
    @blp.doc(security=BEARER)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List billing cycles by id; page with `limit` and `startingAfter`."""
        with db().unit_of_work(write=False) as uow:
            items = CatalogRepository(uow.session).billing_cycle_page(
                limit=args["limit"] + 1, starting_after=args["starting_after"]
            )
        return page(items, args["limit"])

    @requires("catalog:write")
    @transactional
    @blp.arguments(BillingCycleCreateSchema)
    @blp.response(201, BillingCycleSchema)
    @blp.doc(security=BEARER, parameters=[IDEMPOTENCY_KEY])
    def post(self, body: dict[str, Any]) -> Response:
        """Create a billing cycle, e.g. every 3 months."""
        cycle = BillingCycle(id=new_id("bc"), created_at=datetime.now(UTC), **body)
        CatalogRepository(current_uow().session).add_billing_cycle(cycle)
        resp = make_response(_CYCLE.dump(cycle), 201)
        resp.headers["Location"] = f"/api/v1/BillingCycles/{cycle.id}"
        return resp


@blp.route("/<string:cycle_id>")
class BillingCycleItem(MethodView):
    @requires("catalog:read")
    @blp.response(200, BillingCycleSchema)
    @blp.doc(security=BEARER)
    def get(self, cycle_id: str) -> BillingCycle:
        """One billing cycle."""
        with db().unit_of_work(write=False) as uow:
            cycle = CatalogRepository(uow.session).billing_cycle(cycle_id)
        if cycle is None:
            raise not_found("billing cycle", cycle_id)
        return cycle
