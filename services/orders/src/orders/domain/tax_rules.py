"""Tax rules: exact rates, at most one active rule per scope, a rate changed by deactivating, never edited.

A scope is (country, region, taxCategory). Posting a rule to a scope answers one of three ways:
- the scope is free: the rule is created;
- the scope's active rule has the same terms (the same rate by value, e.g. "0.2" = "0.20", and the
  same `inclusive`): that rule is the answer, so a retried or replayed setup script is harmless. The
  name and the validity dates are descriptive and do not make a rule different;
- the scope's active rule has other terms: a conflict that names it. Changing a rate is explicit:
  deactivate the old rule (it stays, with `deactivatedAt`, for the orders priced with it), then post.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum

from billing_shared.commands import given
from billing_shared.errors import Problem
from orders.domain.catalog import TaxRule
from orders.domain.commands import CreateTaxRule
from orders.domain.decimals import canonical, parse_in_range

MAX_RATE = Decimal(10)  # 1000 %: anything larger is a typo, not a tax (the pricing rule agrees)


def parse_rate(value: object) -> Decimal:
    """A rate 0 <= r < 10 from a decimal string or JSON number, exact and canonical."""
    return parse_in_range(value, low=Decimal(0), high=MAX_RATE, low_open=False, high_open=True)


class Outcome(Enum):
    CREATE = "create"
    IDENTICAL = "identical"
    CONFLICT = "conflict"


def on_post(active: TaxRule | None, *, rate: Decimal, inclusive: bool) -> Outcome:
    """What posting a rule with these terms to a scope does, given the scope's active rule."""
    if active is None:
        return Outcome.CREATE
    if active.rate == rate and active.inclusive is inclusive:
        return Outcome.IDENTICAL
    return Outcome.CONFLICT


def create(rule_id: str, cmd: CreateTaxRule, now: datetime) -> TaxRule:
    if cmd.valid_from is not None and cmd.valid_to is not None and cmd.valid_to <= cmd.valid_from:
        raise ValueError("validTo must be after validFrom.")
    validity = {"valid_from": _utc(cmd.valid_from), "valid_to": _utc(cmd.valid_to)}
    return TaxRule(id=rule_id, active=True, created_at=now, **(given(cmd) | validity))


def _utc(when: datetime | None) -> datetime | None:
    """One instant, written in UTC, so the rule reads the same from the answer and from storage."""
    return None if when is None else when.astimezone(UTC)


def set_active(rule: TaxRule, active: bool, now: datetime) -> TaxRule | None:
    """The rule switched on or off, or None when it already is: deactivating keeps the row as history."""
    if rule.active is active:
        return None
    return dataclasses.replace(rule, active=active, deactivated_at=None if active else now)


def describe_scope(rule: TaxRule) -> str:
    return (
        f"country {rule.country}, region {rule.region or '(any)'}, taxCategory {rule.tax_category or '(any)'}"
    )


def occupied(existing: TaxRule) -> Problem:
    """409 naming the active rule that holds the scope, and how to change its rate."""
    kind = "inclusive" if existing.inclusive else "exclusive"
    return Problem(
        409,
        f"Tax rule '{existing.id}' is already active for {describe_scope(existing)} with the {kind} rate "
        f"{canonical(existing.rate)}. To change the rate, deactivate it first "
        f'(PATCH /api/v1/TaxRules/{existing.id} {{"active": false}}).',
        extra={"existingRuleId": existing.id},
    )


def changed_meanwhile(rule: TaxRule) -> Problem:
    return Problem(409, f"The tax rules of {describe_scope(rule)} changed while this request ran; retry.")
