from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_shared.money import Money, UnknownCurrency, exponent, is_currency, round_half_up


def test_exponents_come_from_iso_4217() -> None:
    assert (exponent("JPY"), exponent("USD"), exponent("KWD"), exponent("EUR")) == (0, 2, 3, 2)


@pytest.mark.parametrize("code", ["ZZZ", "usd ", "", "XAU"])
def test_unknown_or_unbillable_currencies_are_refused(code: str) -> None:
    with pytest.raises(UnknownCurrency):
        exponent(code)
    assert not is_currency(code)


def test_lower_case_codes_are_not_accepted_on_the_wire() -> None:
    assert is_currency("USD") and not is_currency("usd")


def test_money_refuses_floats_and_bools() -> None:
    with pytest.raises(TypeError):
        Money(19.99, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(True, "USD")


def test_adding_different_currencies_fails() -> None:
    with pytest.raises(ValueError):
        Money(100, "USD") + Money(100, "EUR")


def test_display_uses_the_currency_exponent() -> None:
    assert str(Money(1999, "USD")) == "19.99 USD"
    assert str(Money(1999, "JPY")) == "1999 JPY"
    assert str(Money(1999, "KWD")) == "1.999 KWD"


@pytest.mark.parametrize(
    ("value", "rounded"),
    [("0.5", 1), ("1.5", 2), ("2.5", 3), ("-0.5", -1), ("-2.5", -3), ("2.4999", 2), ("-2.4999", -2)],
)
def test_rounding_is_half_up_away_from_zero(value: str, rounded: int) -> None:
    assert round_half_up(Decimal(value)) == rounded


@given(st.integers(-(10**12), 10**12), st.integers(-(10**12), 10**12))
def test_addition_is_exact_on_integers(a: int, b: int) -> None:
    assert (Money(a, "USD") + Money(b, "USD")).amount == a + b
    assert (Money(a, "USD") - Money(b, "USD")).amount == a - b


@given(st.integers(-(10**15), 10**15), st.integers(1, 10**6))
def test_half_up_is_within_half_a_unit_and_symmetric(n: int, d: int) -> None:
    exact = Decimal(n) / Decimal(d)
    r = round_half_up(exact)
    assert abs(Decimal(r) - exact) <= Decimal("0.5")
    assert round_half_up(-exact) == -r
