"""Tax rules: at most one active rule per scope (country, region, taxCategory), rates never edited.

Posting the active rule's terms again answers that rule; other terms for an occupied scope are a 409
naming it. The partial unique index `uq_tax_rules_active_scope` settles concurrent posts the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime

from billing_shared.db.uow import UnitOfWork
from billing_shared.errors import existing
from billing_shared.ids import new_id
from billing_shared.paging import Page, PageRequest
from orders.domain import tax_rules
from orders.domain.catalog import TaxRule
from orders.domain.catalog_events import tax_rule_event
from orders.domain.commands import CreateTaxRule, SetTaxRuleActive
from orders.store.catalog import CatalogRepository


def list_tax_rules(
    uow: UnitOfWork, page: PageRequest, *, country: str | None = None, active: bool | None = None
) -> Page[TaxRule]:
    return CatalogRepository(uow.session).tax_rule_page(page, country=country, active=active)


def get_tax_rule(uow: UnitOfWork, rule_id: str) -> TaxRule:
    return existing(CatalogRepository(uow.session).tax_rule(rule_id), "tax rule", rule_id)


def _settle(active: TaxRule | None, cmd: CreateTaxRule) -> TaxRule | None:
    """The scope's identical active rule; None when the scope is free; 409 when it holds another."""
    outcome = tax_rules.on_post(active, rate=cmd.rate, inclusive=cmd.inclusive)
    if active is None or outcome is tax_rules.Outcome.CREATE:
        return None
    if outcome is tax_rules.Outcome.IDENTICAL:
        return active
    raise tax_rules.occupied(active)


def create_tax_rule(uow: UnitOfWork, cmd: CreateTaxRule) -> tuple[TaxRule, bool]:
    """(the rule, created): a new rule, or the scope's active rule when it has these very terms."""
    repo = CatalogRepository(uow.session)
    scope = (cmd.country, cmd.region, cmd.tax_category)
    same = _settle(repo.active_tax_rule(*scope), cmd)
    if same is not None:
        return same, False
    now = datetime.now(UTC)
    rule = tax_rules.create(new_id("txr"), cmd, now)
    if repo.add_tax_rule(rule):
        uow.emit(tax_rule_event("TaxRuleCreated", rule, now))
        return rule, True
    # A concurrent post took the scope between our read and our insert: answer as if it came first.
    same = _settle(repo.active_tax_rule(*scope), cmd)
    if same is None:
        raise tax_rules.changed_meanwhile(rule)
    return same, False


def set_tax_rule_active(uow: UnitOfWork, cmd: SetTaxRuleActive) -> TaxRule:
    """Deactivate (kept as history), or reactivate when its scope is free."""
    repo = CatalogRepository(uow.session)
    rule = existing(repo.tax_rule(cmd.rule_id, for_update=True), "tax rule", cmd.rule_id)
    now = datetime.now(UTC)
    changed = tax_rules.set_active(rule, cmd.active, now)
    if changed is None:
        return rule
    if changed.active:
        holder = repo.active_tax_rule(rule.country, rule.region, rule.tax_category)
        if holder is not None:
            raise tax_rules.occupied(holder)
    if not repo.save_tax_rule_state(changed):
        holder = repo.active_tax_rule(rule.country, rule.region, rule.tax_category)
        raise tax_rules.occupied(holder) if holder is not None else tax_rules.changed_meanwhile(rule)
    uow.emit(tax_rule_event("TaxRuleUpdated", changed, now))
    return changed
