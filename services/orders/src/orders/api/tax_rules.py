"""/api/v1/TaxRules: exact rates per (country, region, taxCategory), at most one active per scope.

Posting the active rule's terms again answers 200 with that rule; other terms for an occupied scope
are a 409 naming the rule in the way (`existingRuleId`). A rate changes by deactivating the old rule
(`PATCH {"active": false}`; it stays as history) and posting the new one.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from billing_shared.web.context import reading
from billing_shared.web.responses import resource_response
from billing_shared.web.routes import Listing, changes, creates, list_route, reads
from billing_shared.web.transaction import current_uow
from orders.api.catalog_schemas import (
    TaxRuleCreateSchema,
    TaxRuleListArgs,
    TaxRulePatchSchema,
    TaxRuleSchema,
)
from orders.api.exact_json import ExactJsonBlueprint
from orders.domain.catalog import TaxRule
from orders.domain.commands import CreateTaxRule, SetTaxRuleActive
from orders.service_layer import tax_rules

blp = ExactJsonBlueprint(
    "tax_rules",
    __name__,
    url_prefix="/api/v1/TaxRules",
    description="Tax rates by country, region and category",
)
_RULE = TaxRuleSchema()


list_route(
    blp,
    "",
    "catalog:read",
    Listing(TaxRuleListArgs, TaxRuleSchema, tax_rules.list_tax_rules, _RULE.dump, scoped=False),
)


@blp.route("")
class TaxRulesCollection(MethodView):
    @creates(
        blp,
        "catalog:write",
        body=TaxRuleCreateSchema,
        response=TaxRuleSchema,
        existing="The scope's active rule already has this rate and `inclusive`",
    )
    def post(self, body: dict[str, Any]) -> Response:
        """Create a rule (201); the terms of the scope's active rule again: 200 with it; other terms: 409."""
        rule, created = tax_rules.create_tax_rule(current_uow(), CreateTaxRule(**body))
        resp = resource_response(_RULE.dump(rule), status=201 if created else 200)
        resp.headers["Location"] = f"/api/v1/TaxRules/{rule.id}"
        return resp


@blp.route("/<string:rule_id>")
class TaxRuleItem(MethodView):
    @reads(blp, "catalog:read", response=TaxRuleSchema)
    def get(self, rule_id: str) -> TaxRule:
        """One tax rule, active or not."""
        with reading() as uow:
            return tax_rules.get_tax_rule(uow, rule_id)

    @changes(blp, "catalog:write", response=TaxRuleSchema, body=TaxRulePatchSchema)
    def patch(self, body: dict[str, Any], rule_id: str) -> TaxRule:
        """Deactivate (`{"active": false}`; kept as history), or reactivate if its scope is free."""
        return tax_rules.set_tax_rule_active(current_uow(), SetTaxRuleActive(rule_id, body["active"]))
