"""/api/v1/BillingCycles: how often a recurring product renews (every `intervalCount` `intervalUnit`s)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from billing_shared.web.context import reading
from billing_shared.web.responses import resource_response
from billing_shared.web.routes import Listing, creates, list_route, reads
from billing_shared.web.transaction import current_uow
from orders.api.catalog_schemas import (
    BillingCycleCreateSchema,
    BillingCycleListArgs,
    BillingCycleSchema,
)
from orders.api.exact_json import ExactJsonBlueprint
from orders.domain.catalog import BillingCycle
from orders.domain.commands import CreateBillingCycle
from orders.service_layer import catalog

blp = ExactJsonBlueprint(
    "billing_cycles", __name__, url_prefix="/api/v1/BillingCycles", description="Renewal periods of products"
)
_CYCLE = BillingCycleSchema()


list_route(
    blp,
    "",
    "catalog:read",
    Listing(BillingCycleListArgs, BillingCycleSchema, catalog.list_billing_cycles, _CYCLE.dump, scoped=False),
)


@blp.route("")
class BillingCyclesCollection(MethodView):
    @creates(blp, "catalog:write", body=BillingCycleCreateSchema, response=BillingCycleSchema)
    def post(self, body: dict[str, Any]) -> Response:
        """Create a billing cycle, e.g. every 3 months."""
        cycle = catalog.create_billing_cycle(current_uow(), CreateBillingCycle(**body))
        return resource_response(_CYCLE.dump(cycle), status=201, location=f"/api/v1/BillingCycles/{cycle.id}")


@blp.route("/<string:cycle_id>")
class BillingCycleItem(MethodView):
    @reads(blp, "catalog:read", response=BillingCycleSchema)
    def get(self, cycle_id: str) -> BillingCycle:
        """One billing cycle."""
        with reading() as uow:
            return catalog.get_billing_cycle(uow, cycle_id)
