"""Which tax rule applies to a line: the most specific active rule for the buyer's place and the product.

Specificity, most specific first (the platform's pricing rule):
  1. country + region + tax category
  2. country + tax category
  3. country + region
  4. country only
A rule's region or tax category matches only an equal value; a rule without one is a wildcard on that
dimension. The platform keeps at most one active rule per scope, so there are no ties; should several
candidates share the best scope anyway, the first one given wins, so callers pass them in a stable order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .errors import PricingError, PricingTypeError
from .model import TaxRate


@dataclass(frozen=True, slots=True)
class TaxRuleCandidate:
    """A tax rule as the catalog stores it. Valid on [valid_from, valid_to); None is open-ended."""

    rule_id: str
    name: str
    country: str
    rate: Decimal
    inclusive: bool
    region: str | None = None
    tax_category: str | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    def tax_rate(self) -> TaxRate:
        """What pricing needs of the rule."""
        return TaxRate(rule_id=self.rule_id, name=self.name, rate=self.rate, inclusive=self.inclusive)

    def specificity(self) -> int:
        """3 for country + region + category, 2 country + category, 1 country + region, 0 country."""
        if self.tax_category is not None:
            return 3 if self.region is not None else 2
        return 1 if self.region is not None else 0

    def valid_at(self, at: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= at) and (
            self.valid_to is None or at < self.valid_to
        )


def match_tax_rule(
    candidates: Iterable[TaxRuleCandidate],
    *,
    country: str,
    region: str | None,
    tax_category: str | None,
    at: datetime,
) -> TaxRuleCandidate | None:
    """The most specific candidate that matches the place and category and is valid at `at`, or None.

    Values are compared exactly (callers pass normalised codes: "US", "CA"). `at` and the rules' dates
    must be timezone-aware, so a rule's start is one instant everywhere.
    """
    if not isinstance(at, datetime):
        raise PricingTypeError("at", "must be a datetime")
    if at.tzinfo is None:
        raise PricingError("at", "must be timezone-aware")
    best: TaxRuleCandidate | None = None
    best_rank = -1
    for i, rule in enumerate(candidates):
        if rule.country != country:
            continue
        if rule.region is not None and rule.region != region:
            continue
        if rule.tax_category is not None and rule.tax_category != tax_category:
            continue
        for name, when in (("validFrom", rule.valid_from), ("validTo", rule.valid_to)):
            if when is not None and when.tzinfo is None:
                raise PricingError(f"candidates[{i}].{name}", "must be timezone-aware")
        if not rule.valid_at(at):
            continue
        rank = rule.specificity()
        if rank > best_rank:  # strictly greater: on a tie the earlier candidate stays
            best, best_rank = rule, rank
    return best
