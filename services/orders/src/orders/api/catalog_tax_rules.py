"""/api/v1/TaxRules: exact rates per (country, region, taxCategory), at most one active per scope.

Posting the active rule's terms again answers 200 with that rule; other terms for an occupied scope
are a 409 naming the rule in the way (`existingRuleId`). A rate changes by deactivating the old rule
(`PATCH {"active": false}`; it stays as history) and posting the new one. The partial unique index
`uq_tax_rules_active_scope` settles concurrent posts the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import Response, make_response
from flask.views import MethodView

from billing_shared.auth.flask import requires
from billing_shared.errors import Problem, not_found
from billing_shared.ids import new_id
from billing_shared.web.schemas import page
from billing_shared.web.transaction import current_uow, transactional
from orders.api.catalog_common import BEARER, IDEMPOTENCY_KEY, CatalogBlueprint, db
from orders.api.catalog_schemas import (
    TaxRuleCreateSchema,
    TaxRuleListArgs,
    TaxRuleListSchema,
    TaxRulePatchSchema,
    TaxRuleSchema,
)
from orders.domain import tax_rules as rules
from orders.domain.catalog import TaxRule
from orders.domain.decimals import canonical
from orders.store.catalog import CatalogRepository

blp = CatalogBlueprint(
    "tax_rules",
    __name__,
    url_prefix="/api/v1/TaxRules",
    description="Tax rates by country, region and category",
)
_RULE = TaxRuleSchema()


def _scope(rule: TaxRule) -> str:
    return (
        f"country {rule.country}, region {rule.region or '(any)'}, taxCategory {rule.tax_category or '(any)'}"
    )


def _scope_taken(existing: TaxRule) -> Problem:
    kind = "inclusive" if existing.inclusive else "exclusive"
    return Problem(
        409,
        f"Tax rule '{existing.id}' is already active for {_scope(existing)} with the {kind} rate "
        f"{canonical(existing.rate)}. To change the rate, deactivate it first "
        f'(PATCH /api/v1/TaxRules/{existing.id} {{"active": false}}).',
        extra={"existingRuleId": existing.id},
    )


def _answer(rule: TaxRule, status: int) -> Response:
    resp = make_response(_RULE.dump(rule), status)
    resp.headers["Location"] = f"/api/v1/TaxRules/{rule.id}"
    return resp


def _settle(active: TaxRule | None, rate: Decimal, inclusive: bool) -> Response | None:
    """The answer when the scope is occupied (200 with an identical rule, else 409); None when free."""
    outcome = rules.on_post(active, rate=rate, inclusive=inclusive)
    if outcome is rules.Outcome.CREATE:
        return None
    assert active is not None  # on_post answers CREATE for a free scope
    if outcome is rules.Outcome.IDENTICAL:
        return _answer(active, 200)
    raise _scope_taken(active)


@blp.route("")
class TaxRulesCollection(MethodView):
    @requires("catalog:read")
    @blp.arguments(TaxRuleListArgs, location="query")
    @blp.response(200, TaxRuleListSchema)
    @blp.doc(security=BEARER)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List tax rules, oldest first, inactive ones too unless `active=true`; filter by `country`."""
        with db().unit_of_work(write=False) as uow:
            items = CatalogRepository(uow.session).tax_rule_page(
                limit=args["limit"] + 1,
                starting_after=args["starting_after"],
                country=args.get("country"),
                active=args.get("active"),
            )
        return page(items, args["limit"])

    @requires("catalog:write")
    @transactional
    @blp.arguments(TaxRuleCreateSchema)
    @blp.response(201, TaxRuleSchema)
    @blp.alt_response(
        200, schema=TaxRuleSchema, description="The scope's active rule already has this rate and `inclusive`"
    )
    @blp.doc(security=BEARER, parameters=[IDEMPOTENCY_KEY])
    def post(self, body: dict[str, Any]) -> Response:
        """Create a rule (201); the terms of the scope's active rule again: 200 with it; other terms: 409."""
        repo = CatalogRepository(current_uow().session)
        scope = (body["country"], body.get("region"), body.get("tax_category"))
        rate, inclusive = body["rate"], body["inclusive"]
        answer = _settle(repo.active_tax_rule(*scope), rate, inclusive)
        if answer is not None:
            return answer
        rule = rules.create(rule_id=new_id("txr"), now=datetime.now(UTC), **body)
        if repo.add_tax_rule(rule):
            return _answer(rule, 201)
        # A concurrent post took the scope between our read and our insert: answer as if it came first.
        answer = _settle(repo.active_tax_rule(*scope), rate, inclusive)
        if answer is None:
            raise Problem(409, f"The tax rules of {_scope(rule)} changed while this request ran; retry.")
        return answer


@blp.route("/<string:rule_id>")
class TaxRuleItem(MethodView):
    @requires("catalog:read")
    @blp.response(200, TaxRuleSchema)
    @blp.doc(security=BEARER)
    def get(self, rule_id: str) -> TaxRule:
        """One tax rule, active or not."""
        with db().unit_of_work(write=False) as uow:
            rule = CatalogRepository(uow.session).tax_rule(rule_id)
        if rule is None:
            raise not_found("tax rule", rule_id)
        return rule

    @requires("catalog:write")
    @transactional
    @blp.arguments(TaxRulePatchSchema)
    @blp.response(200, TaxRuleSchema)
    @blp.doc(security=BEARER)
    def patch(self, body: dict[str, Any], rule_id: str) -> TaxRule:
        """Deactivate (`{"active": false}`; kept as history), or reactivate if its scope is free."""
        repo = CatalogRepository(current_uow().session)
        rule = repo.tax_rule(rule_id, for_update=True)
        if rule is None:
            raise not_found("tax rule", rule_id)
        changed = rules.set_active(rule, body["active"], datetime.now(UTC))
        if changed is None:
            return rule
        if changed.active:
            holder = repo.active_tax_rule(rule.country, rule.region, rule.tax_category)
            if holder is not None:
                raise _scope_taken(holder)
        if not repo.save_tax_rule_state(changed):
            holder = repo.active_tax_rule(rule.country, rule.region, rule.tax_category)
            if holder is not None:
                raise _scope_taken(holder)
            raise Problem(409, f"The tax rules of {_scope(rule)} changed while this request ran; retry.")
        return changed
