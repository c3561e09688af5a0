"""The catalog's pure rules, no I/O: exact decimals, tax rule identity, product changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from orders.domain import products, tax_rules
from orders.domain.catalog import TaxRule
from orders.domain.commands import CreateProduct, CreateTaxRule
from orders.domain.decimals import canonical, exact_decimal, parse_in_range

NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("0.20"), "0.2"),
        (Decimal("7.00"), "7"),
        (Decimal("0E+1"), "0"),
        (Decimal("-0"), "0"),
        (Decimal("0.000"), "0"),
        (Decimal("1E+1"), "10"),
        (Decimal("1E-7"), "0.0000001"),
        (Decimal("0.0725"), "0.0725"),
        # More digits than the default context's 28: normalize() would round, canonical must not.
        (Decimal("0.12345678901234567890123456789012"), "0.12345678901234567890123456789012"),
    ],
)
def test_canonical_text_is_exact_and_never_in_exponent_form(value: Decimal, text: str) -> None:
    assert canonical(value) == text
    assert Decimal(text) == value


@pytest.mark.parametrize(
    "value", [0.1, True, None, [1], "1e-2", " 0.2", "0,2", "NaN", ".5", "1_000", Decimal("NaN")]
)
def test_exact_decimal_refuses_what_is_not_a_plain_exact_number(value: object) -> None:
    with pytest.raises(ValueError):
        exact_decimal(value)


def test_exact_decimal_takes_strings_ints_and_decimals() -> None:
    assert exact_decimal("0.0725") == Decimal("0.0725")
    assert exact_decimal(3) == Decimal(3)
    assert exact_decimal(Decimal("1E-2")) == Decimal("0.01")


def test_ranges() -> None:
    assert tax_rules.parse_rate("0") == 0 and str(tax_rules.parse_rate("9.999")) == "9.999"
    assert str(tax_rules.parse_rate("0.20")) == "0.2"
    for bad in ("10", "-0.01", "0.1234567890123456789"):
        with pytest.raises(ValueError):
            tax_rules.parse_rate(bad)
    percent = {"low": Decimal(0), "high": Decimal(100), "low_open": True, "high_open": False}
    assert parse_in_range("100", **percent) == 100
    with pytest.raises(ValueError, match=r"\(0, 100\]"):
        parse_in_range("0", **percent)


def _rule(rate: str = "0.2", inclusive: bool = False) -> TaxRule:
    return tax_rules.create(
        "txr_1", CreateTaxRule(name="VAT", country="GB", rate=Decimal(rate), inclusive=inclusive), NOW
    )


def test_posting_to_a_scope() -> None:
    active = _rule()
    assert tax_rules.on_post(None, rate=Decimal("0.3"), inclusive=False) is tax_rules.Outcome.CREATE
    assert tax_rules.on_post(active, rate=Decimal("0.200"), inclusive=False) is tax_rules.Outcome.IDENTICAL
    assert tax_rules.on_post(active, rate=Decimal("0.2"), inclusive=True) is tax_rules.Outcome.CONFLICT
    assert tax_rules.on_post(active, rate=Decimal("0.21"), inclusive=False) is tax_rules.Outcome.CONFLICT
    assert active.scope_key == "GB||"


def test_validity_is_one_instant_in_utc_and_ordered() -> None:
    plus_one = timezone(timedelta(hours=1))
    cmd = CreateTaxRule(
        name="x", country="GB", rate=Decimal(0), valid_from=datetime(2030, 1, 1, tzinfo=plus_one)
    )
    rule = tax_rules.create("txr_1", cmd, NOW)
    assert rule.valid_from == datetime(2029, 12, 31, 23, tzinfo=UTC) and rule.valid_from.tzinfo is UTC
    with pytest.raises(ValueError, match="validTo"):
        tax_rules.create(
            "txr_2", CreateTaxRule(name="x", country="GB", rate=Decimal(0), valid_from=NOW, valid_to=NOW), NOW
        )


def test_deactivating_keeps_the_rule_as_history() -> None:
    active = _rule()
    assert tax_rules.set_active(active, True, NOW) is None
    off = tax_rules.set_active(active, False, NOW)
    assert off is not None and off.active is False and off.deactivated_at == NOW and off.rate == active.rate
    on = tax_rules.set_active(off, True, NOW)
    assert on is not None and on.active is True and on.deactivated_at is None


def test_product_changes_bump_the_version_only_when_something_changes() -> None:
    cmd = CreateProduct(name="A", tax_category="standard", prices=[("USD", 100)], metadata={"k": "v"})
    p = products.create("prod_1", cmd, NOW)
    assert p.version == 1 and p.active is True and p.recurring is False
    later = NOW + timedelta(seconds=1)
    assert products.update(p, {"name": "A", "prices": {"USD": 100}, "metadata": {"k": "v"}}, later) is None
    changed = products.update(p, {"prices": {"EUR": 90}, "metadata": {"k": None, "n": "1"}}, later)
    assert changed is not None
    assert (changed.prices, changed.metadata, changed.version, changed.updated_at) == (
        {"EUR": 90},
        {"n": "1"},
        2,
        later,
    )
    assert p.prices == {"USD": 100}  # the original record is untouched
