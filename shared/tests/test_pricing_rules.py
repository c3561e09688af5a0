"""Tax rule matching: the most specific scope wins, region and category are wildcards when absent,
validity dates are [from, to), and the first of several candidates in one scope wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_shared.pricing import (
    LineInput,
    PricingError,
    TaxRate,
    TaxRuleCandidate,
    match_tax_rule,
    price_order,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def rule(
    rule_id: str,
    country: str = "US",
    region: str | None = None,
    category: str | None = None,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
) -> TaxRuleCandidate:
    return TaxRuleCandidate(
        rule_id, rule_id, country, Decimal("0.05"), False, region, category, valid_from, valid_to
    )


COUNTRY = rule("country")
REGION = rule("region", region="CA")
CATEGORY = rule("category", category="food")
BOTH = rule("both", region="CA", category="food")
OTHER_COUNTRY = rule("de", country="DE")
ALL = [COUNTRY, REGION, CATEGORY, BOTH, OTHER_COUNTRY]


def match(
    candidates: list[TaxRuleCandidate], region: str | None, category: str | None
) -> TaxRuleCandidate | None:
    return match_tax_rule(candidates, country="US", region=region, tax_category=category, at=NOW)


@pytest.mark.parametrize(
    ("region", "category", "expected"),
    [
        ("CA", "food", BOTH),  # country + region + category
        ("NY", "food", CATEGORY),  # country + category (the region rule is for CA only)
        (None, "food", CATEGORY),
        ("CA", "books", REGION),  # country + region (the category rules are for food only)
        ("CA", None, REGION),
        ("NY", "books", COUNTRY),  # country only
        (None, None, COUNTRY),
    ],
)
def test_the_most_specific_rule_wins(
    region: str | None, category: str | None, expected: TaxRuleCandidate
) -> None:
    assert match(ALL, region, category) is expected


def test_country_plus_category_beats_country_plus_region() -> None:
    assert match([REGION, CATEGORY], "CA", "food") is CATEGORY
    assert match([CATEGORY, REGION], "CA", "food") is CATEGORY


def test_order_of_candidates_does_not_matter_across_scopes() -> None:
    for candidates in (ALL, list(reversed(ALL))):
        assert match(candidates, "CA", "food") is BOTH


def test_no_rule_for_the_country_means_none() -> None:
    assert match_tax_rule(ALL, country="FR", region=None, tax_category=None, at=NOW) is None
    assert match([], "CA", "food") is None
    assert match([REGION, BOTH], "NY", "books") is None  # no country-wide rule to fall back to


def test_the_first_candidate_wins_within_one_scope() -> None:
    first, second = rule("first", region="CA"), rule("second", region="CA")
    assert match([first, second], "CA", None) is first
    assert match([second, first], "CA", None) is second


def test_values_compare_exactly() -> None:
    assert match([REGION], "ca", None) is None
    assert match_tax_rule([COUNTRY], country="us", region=None, tax_category=None, at=NOW) is None


def test_validity_is_from_inclusive_to_exclusive() -> None:
    old = rule("old", valid_to=NOW)
    new = rule("new", valid_from=NOW)
    assert match([old, new], None, None) is new
    assert (
        match_tax_rule(
            [old, new], country="US", region=None, tax_category=None, at=NOW - timedelta(seconds=1)
        )
        is old
    )
    assert match([old], None, None) is None


def test_an_expired_specific_rule_falls_back_to_the_general_one() -> None:
    expired = rule("expired", region="CA", valid_to=NOW - timedelta(days=1))
    future = rule("future", region="CA", category="food", valid_from=NOW + timedelta(days=1))
    assert match([expired, future, COUNTRY], "CA", "food") is COUNTRY


def test_dates_must_be_timezone_aware() -> None:
    with pytest.raises(PricingError) as err:
        match_tax_rule([COUNTRY], country="US", region=None, tax_category=None, at=datetime(2026, 1, 1))
    assert err.value.field == "at"
    with pytest.raises(PricingError) as err:
        match([COUNTRY, rule("naive", valid_from=datetime(2026, 1, 1))], None, None)
    assert err.value.field == "candidates[1].validFrom"


def test_a_matched_rule_prices_a_line() -> None:
    ca = TaxRuleCandidate("tr_ca", "CA sales tax", "US", Decimal("0.0725"), False, region="CA")
    found = match_tax_rule([COUNTRY, ca], country="US", region="CA", tax_category=None, at=NOW)
    assert found is ca
    assert found.tax_rate() == TaxRate("tr_ca", "CA sales tax", Decimal("0.0725"), False)
    assert price_order("USD", [LineInput("p", 1, 1000, found.tax_rate())]).tax_total == 73


scopes = st.tuples(st.sampled_from([None, "CA", "NY"]), st.sampled_from([None, "food", "books"]))


@given(st.lists(scopes, max_size=12), scopes)
def test_the_match_is_the_most_specific_of_the_matching_rules(
    rule_scopes: list[tuple[str | None, str | None]], query: tuple[str | None, str | None]
) -> None:
    candidates = [rule(f"r{i}", region=r, category=c) for i, (r, c) in enumerate(rule_scopes)]
    found = match(candidates, *query)
    matching = [c for c in candidates if c.region in (None, query[0]) and c.tax_category in (None, query[1])]
    if not matching:
        assert found is None
        return
    assert found is not None
    best = max(c.specificity() for c in matching)
    assert found.specificity() == best
    assert found is next(c for c in matching if c.specificity() == best)  # the first of its scope
