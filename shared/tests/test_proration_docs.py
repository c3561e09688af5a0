"""docs/money.md's proration examples, run as tests, and the rule held against an independent
statement of it on exact fractions for any period, instant, price and quantity (hypothesis)."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_shared.pricing import (
    CouponInput,
    LineTerms,
    PricedOrder,
    PricingError,
    ProrationItem,
    ProrationLine,
    TaxRate,
    price_proration,
    prorate,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "money.md"
BLOCK = re.compile(r"^### (.+?)$|^```json\n(.*?)^```$", re.S | re.M)


def examples() -> list[Any]:
    found, heading = [], "(no heading)"
    for title, block in BLOCK.findall(DOC.read_text(encoding="utf-8")):
        if title:
            heading = title
            continue
        data = json.loads(block)
        if "proration" in data:
            found.append(pytest.param(data, id=heading))
    return found


def items(raw: list[dict[str, Any]]) -> list[ProrationItem]:
    return [ProrationItem(i["productId"], i["quantity"], i["unitPrice"]) for i in raw]


def half_up(x: Fraction) -> int:
    """The platform's rounding, stated again on fractions: half-up, away from zero."""
    return (-1 if x < 0 else 1) * math.floor(abs(x) + Fraction(1, 2))


def by_hand(
    old: list[ProrationItem], new: list[ProrationItem], s: datetime, e: datetime, t: datetime
) -> list[int]:
    f = Fraction((e - t) // timedelta(microseconds=1), (e - s) // timedelta(microseconds=1))
    return [-half_up(i.unit_price * i.quantity * f) for i in old] + [
        half_up(i.unit_price * i.quantity * f) for i in new
    ]


def test_the_page_has_its_proration_examples() -> None:
    assert len(examples()) >= 5


@pytest.mark.parametrize("example", examples())
def test_each_example_is_what_the_rule_computes(example: dict[str, Any]) -> None:
    p, want = example["proration"], example["expected"]
    s, e, t = (datetime.fromisoformat(p[k]) for k in ("periodStart", "periodEnd", "prorationDate"))
    old, new = items(p["old"]), items(p["new"])
    got = prorate(old, new, s, e, t)
    assert f"{got.fraction.numerator}/{got.fraction.denominator}" == want["fraction"]
    assert [line.amount for line in got.lines] == want["amounts"] == by_hand(old, new, s, e, t)
    assert got.net == want["net"]
    if "trace" in want:
        assert [step.render() for step in got.trace] == want["trace"]
    if "priced" in want:
        tax = TaxRate("txr_doc", "tax", Decimal(p["taxRate"]), p["taxInclusive"])
        coupon = CouponInput("DOC", percent_off=Decimal(p["percentOff"])) if "percentOff" in p else None
        priced = price_proration("USD", got, [LineTerms(tax)] * len(got.lines), coupon)
        expected = want["priced"]
        assert [line.discount for line in priced.lines] == expected["discounts"]
        assert [line.tax for line in priced.lines] == expected["taxes"]
        assert [line.total for line in priced.lines] == expected["totals"]
        assert priced.total == expected["total"] == sum(priced_by_hand(got.lines, tax, coupon))


def priced_by_hand(lines: list[ProrationLine], tax: TaxRate, coupon: CouponInput | None) -> list[int]:
    """Each line's total by the written rule on fractions, signs and all."""
    rate, totals = Fraction(tax.rate), []
    for line in lines:
        p = Fraction(coupon.percent_off) if coupon and coupon.percent_off else Fraction(0)
        base = line.amount - half_up(line.amount * p / 100)
        totals.append(base if tax.inclusive else base + half_up(base * rate))
    return totals


START = datetime(2026, 1, 1, tzinfo=UTC)
amounts = st.integers(0, 10**9)
quantities = st.integers(0, 10_000)
item_lists = st.lists(st.builds(ProrationItem, st.just("prod_x"), quantities, amounts), max_size=4)


@given(
    old=item_lists,
    new=item_lists,
    length=st.integers(1, 400 * 86_400 * 1_000_000),
    at=st.floats(0, 1),
)
def test_any_change_is_the_rule_to_the_minor_unit(
    old: list[ProrationItem], new: list[ProrationItem], length: int, at: float
) -> None:
    end = START + timedelta(microseconds=length)
    t = START + timedelta(microseconds=int(length * at))
    got = prorate(old, new, START, end, t)
    assert [line.amount for line in got.lines] == by_hand(old, new, START, end, t)
    assert all(line.amount <= 0 for line in got.lines[: len(old)])
    assert all(line.amount >= 0 for line in got.lines[len(old) :])
    assert len(got.trace) == len(old) + len(new)


def test_a_change_at_the_start_or_end_credits_all_or_nothing() -> None:
    end = START + timedelta(days=31)
    old, new = [ProrationItem("a", 2, 1500)], [ProrationItem("b", 1, 999)]
    assert [line.amount for line in prorate(old, new, START, end, START).lines] == [-3000, 999]
    assert [line.amount for line in prorate(old, new, START, end, end).lines] == [0, 0]


@pytest.mark.parametrize(
    "start, end, at, field",
    [
        (START, START, START, "periodEnd"),
        (START, START + timedelta(days=1), START - timedelta(microseconds=1), "prorationDate"),
        (START, START + timedelta(days=1), START + timedelta(days=2), "prorationDate"),
        (START.replace(tzinfo=None), START + timedelta(days=1), START, "periodStart"),
    ],
)
def test_an_instant_outside_the_period_or_without_a_zone_is_refused(
    start: datetime, end: datetime, at: datetime, field: str
) -> None:
    with pytest.raises(PricingError) as info:
        prorate([], [ProrationItem("a", 1, 100)], start, end, at)
    assert info.value.field == field


taxes = st.sampled_from([None, ("0.1", False), ("0.2", True), ("0.0725", False), ("0.19", True)])


@given(
    old=item_lists,
    new=item_lists,
    at=st.integers(0, 31 * 86_400 * 1_000_000),
    tax=taxes,
    percent=st.sampled_from([None, "10", "12.5", "100"]),
)
def test_a_credit_is_the_exact_mirror_of_a_charge_and_survives_storage(
    old: list[ProrationItem], new: list[ProrationItem], at: int, tax: Any, percent: str | None
) -> None:
    """Priced lines: a credit line is the charge of the same amount negated, figure by figure; the
    stored form reads back identical and the invoice's sums add up."""
    if not old and not new:
        return
    end = START + timedelta(days=31)
    t = START + timedelta(microseconds=at)
    rate = None if tax is None else TaxRate("txr_x", "tax", Decimal(tax[0]), tax[1])
    coupon = CouponInput("C", percent_off=Decimal(percent)) if percent else None
    got = prorate(old, new, START, end, t)
    terms = [LineTerms(rate)] * len(got.lines)
    priced = price_proration("EUR", got, terms, coupon)
    mirrored = prorate([], old, START, end, t)
    as_charges = price_proration("EUR", mirrored, [LineTerms(rate)] * len(old), coupon) if old else None
    for i, line in enumerate(priced.lines[: len(old)]):
        assert as_charges is not None
        twin = as_charges.lines[i]
        assert (line.subtotal, line.discount, line.tax, line.total) == (
            -twin.subtotal,
            -twin.discount,
            -twin.tax,
            -twin.total,
        )
    assert priced.total == sum(line.total for line in priced.lines)
    assert PricedOrder.from_dict(priced.to_dict()) == priced


def test_a_stored_proration_line_that_is_not_the_rule_is_refused() -> None:
    end = START + timedelta(days=31)
    t = START + timedelta(days=15, hours=12)
    got = prorate([ProrationItem("a", 1, 1500)], [ProrationItem("b", 1, 4500)], START, end, t)
    data = price_proration("USD", got, [LineTerms(None)] * 2, None).to_dict()
    data["lines"][1] = data["lines"][1] | {"subtotal": 2251, "total": 2251}
    data["subtotal"] += 1
    data["total"] += 1
    with pytest.raises(PricingError) as info:
        PricedOrder.from_dict(data)
    assert info.value.field == "lines[1].subtotal"
    without = price_proration("USD", got, [LineTerms(None)] * 2, None).to_dict()
    for line in without["lines"]:
        del line["proration"]
    with pytest.raises(PricingError):  # signed lines are a proration's only
        PricedOrder.from_dict(without)
