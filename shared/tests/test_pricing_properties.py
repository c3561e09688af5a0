"""Properties of the pricing rule, checked against an independent exact oracle on Fractions.

The oracle restates the rule with `fractions.Fraction` and `floor(x + 1/2)` (half-up for x >= 0): it
exists only here, as a second opinion; the module itself rounds with `money.round_half_up`.
"""

from __future__ import annotations

import json
import math
import re
from decimal import ROUND_HALF_EVEN, Decimal, FloatOperation, Inexact, Rounded, localcontext
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from billing_shared.pricing import CouponInput, LineInput, PricedOrder, TaxRate, price_order


def oracle_round(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


def oracle(lines: list[LineInput], coupon: CouponInput | None) -> list[tuple[int, int, int, int]]:
    """(subtotal, discount, tax, total) per line, by the rule in docs/money.md, on exact fractions."""
    subtotals = [line.quantity * line.unit_price for line in lines]
    eligible = [i for i, line in enumerate(lines) if line.discountable]
    s = sum(subtotals[i] for i in eligible)
    discount = 0
    if coupon is not None and coupon.percent_off is not None:
        discount = oracle_round(s * Fraction(coupon.percent_off) / 100)
    elif coupon is not None and coupon.amount_off is not None:
        discount = min(coupon.amount_off, s)
    discounts = [0] * len(lines)
    if discount:
        exact = {i: Fraction(discount * subtotals[i], s) for i in eligible}
        for i in eligible:
            discounts[i] = math.floor(exact[i])
        leftover = discount - sum(discounts)
        for i in sorted(eligible, key=lambda i: (-(exact[i] - math.floor(exact[i])), i))[:leftover]:
            discounts[i] += 1
    out = []
    for i, line in enumerate(lines):
        base = subtotals[i] - discounts[i]
        if line.tax is None:
            tax, total = 0, base
        elif line.tax.inclusive:
            tax, total = base - oracle_round(base / (1 + Fraction(line.tax.rate))), base
        else:
            tax = oracle_round(base * Fraction(line.tax.rate))
            total = base + tax
        out.append((subtotals[i], discounts[i], tax, total))
    return out


rates = st.builds(
    TaxRate,
    rule_id=st.one_of(st.none(), st.text(min_size=1, max_size=5)),
    name=st.just("tax"),
    rate=st.one_of(
        st.integers(0, 6).flatmap(
            lambda places: st.decimals(min_value=0, max_value=Decimal("9.999999"), places=places)
        ),
        st.sampled_from(
            [Decimal("1E-7"), Decimal("-0"), Decimal("0E-6"), Decimal("5E+0"), Decimal("2.5E-1")]
        ),
    ),
    inclusive=st.booleans(),
)
lines_ = st.builds(
    LineInput,
    product_id=st.just("p"),
    quantity=st.one_of(st.integers(1, 20), st.integers(1, 10**12)),
    unit_price=st.one_of(st.integers(0, 100_000), st.integers(0, 10**9)),
    tax=st.one_of(st.none(), rates),
    discountable=st.booleans(),
)
coupons = st.one_of(
    st.none(),
    st.builds(
        CouponInput,
        code=st.just("C"),
        percent_off=st.integers(0, 4).flatmap(
            lambda places: st.decimals(
                min_value=Decimal(1).scaleb(-places), max_value=100, places=places, allow_nan=False
            )
        ),
    ),
    st.builds(CouponInput, code=st.just("C"), amount_off=st.integers(1, 10**13)),
)
currencies = st.sampled_from(["JPY", "USD", "KWD", "EUR"])
orders = st.tuples(currencies, st.lists(lines_, min_size=1, max_size=25), coupons)


@settings(max_examples=400, deadline=None)
@given(orders)
def test_pricing_matches_the_exact_oracle(order: tuple[str, list[LineInput], CouponInput | None]) -> None:
    currency, lines, coupon = order
    priced = price_order(currency, lines, coupon)
    assert [(p.subtotal, p.discount, p.tax, p.total) for p in priced.lines] == oracle(lines, coupon)


@settings(max_examples=300, deadline=None)
@given(orders)
def test_lines_add_up_to_the_order_exactly(order: tuple[str, list[LineInput], CouponInput | None]) -> None:
    priced = price_order(*order)
    assert priced.subtotal == sum(p.subtotal for p in priced.lines)
    assert priced.discount_total == sum(p.discount for p in priced.lines)
    assert priced.tax_total == sum(p.tax for p in priced.lines)
    assert priced.total == sum(p.total for p in priced.lines)
    for p in priced.lines:
        assert p.subtotal == p.quantity * p.unit_price
        assert 0 <= p.discount <= p.subtotal
        assert p.total == (p.base if p.tax_inclusive else p.base + p.tax)
        assert 0 <= p.tax <= (p.base if p.tax_inclusive else 10 * p.base)  # rates are < 10


@settings(max_examples=300, deadline=None)
@given(orders)
def test_the_discount_never_exceeds_the_discountable_subtotal(
    order: tuple[str, list[LineInput], CouponInput | None],
) -> None:
    currency, lines, coupon = order
    priced = price_order(currency, lines, coupon)
    discountable = sum(p.subtotal for p, line in zip(priced.lines, lines, strict=True) if line.discountable)
    assert priced.discount_total <= discountable
    for p, line in zip(priced.lines, lines, strict=True):
        if not line.discountable:
            assert p.discount == 0
    if coupon is not None and coupon.amount_off is not None:
        assert priced.discount_total == min(coupon.amount_off, discountable)


@settings(max_examples=200, deadline=None)
@given(currencies, st.lists(lines_, min_size=1, max_size=10))
def test_a_100_percent_coupon_gives_total_zero_even_with_tax_on_top(
    currency: str, lines: list[LineInput]
) -> None:
    everything = [
        LineInput(line.product_id, line.quantity, line.unit_price, line.tax, discountable=True)
        for line in lines
    ]
    priced = price_order(currency, everything, CouponInput("FREE", Decimal(100)))
    assert (priced.discount_total, priced.tax_total, priced.total) == (priced.subtotal, 0, 0)


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 30), st.integers(1, 10**6), st.integers(1, 10**6))
def test_largest_remainder_ties_go_to_the_earlier_lines(n: int, price: int, amount: int) -> None:
    priced = price_order("USD", [LineInput("p", 1, price, None)] * n, CouponInput("C", amount_off=amount))
    discounts = [p.discount for p in priced.lines]
    assert discounts == sorted(discounts, reverse=True)  # equal lines: the extra units come first
    assert max(discounts) - min(discounts) <= 1


PLAIN_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")  # what OrderCreated.v1 accepts: no exponent, no sign


def _no_floats(value: Any) -> bool:
    if isinstance(value, float):
        return False
    if isinstance(value, dict):
        return all(_no_floats(v) for v in value.values())
    if isinstance(value, list):
        return all(_no_floats(v) for v in value)
    return True


@settings(max_examples=200, deadline=None)
@given(orders)
def test_no_float_anywhere_and_the_json_form_round_trips(
    order: tuple[str, list[LineInput], CouponInput | None],
) -> None:
    data = price_order(*order).to_dict()
    assert _no_floats(data)
    assert all(PLAIN_DECIMAL.fullmatch(line["taxRate"]) for line in data["lines"])
    assert PricedOrder.from_dict(json.loads(json.dumps(data))) == price_order(*order)


@settings(max_examples=100, deadline=None)
@given(orders, st.integers(1, 12))
def test_the_result_does_not_depend_on_the_callers_decimal_context(
    order: tuple[str, list[LineInput], CouponInput | None], precision: int
) -> None:
    expected = price_order(*order)
    with localcontext() as ctx:  # a caller with a tiny precision and every trap set changes no cent
        ctx.prec = precision
        ctx.rounding = ROUND_HALF_EVEN
        for signal in (FloatOperation, Inexact, Rounded):
            ctx.traps[signal] = True
        assert price_order(*order) == expected


@given(st.integers(1, 10**12), st.integers(0, 10**9), rates)
def test_huge_quantities_are_exact(quantity: int, unit_price: int, rate: TaxRate) -> None:
    line = LineInput("p", quantity, unit_price, rate)
    priced = price_order("USD", [line])
    assert priced.subtotal == quantity * unit_price
    assert [(p.subtotal, p.discount, p.tax, p.total) for p in priced.lines] == oracle([line], None)
