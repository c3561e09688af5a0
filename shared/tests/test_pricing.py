"""The pricing rule on hand-computed orders (every expected cent worked out in the comments), its
input checks, and the priced order's JSON form."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from billing_shared.pricing import (
    CouponInput,
    LineInput,
    PricedOrder,
    PricingError,
    PricingTypeError,
    TaxRate,
    price_order,
)

VAT_20 = TaxRate("tr_gb_vat", "VAT", Decimal("0.2"), inclusive=False)
DE_19_INCL = TaxRate("tr_de_mwst", "MwSt", Decimal("0.19"), inclusive=True)
CA_SALES = TaxRate("tr_us_ca", "CA sales tax", Decimal("0.0725"), inclusive=False)


def amounts(order: PricedOrder) -> tuple[list[tuple[int, int, int, int]], tuple[int, int, int, int]]:
    """(subtotal, discount, tax, total) per line, then the order's four sums."""
    lines = [(p.subtotal, p.discount, p.tax, p.total) for p in order.lines]
    return lines, (order.subtotal, order.discount_total, order.tax_total, order.total)


def test_three_t_shirts_with_20_percent_vat_on_top() -> None:
    # 3 x 19.99 = 59.97; 5997 x 0.2 = 1199.4 -> 1199; 5997 + 1199 = 7196
    order = price_order("USD", [LineInput("prod_tee", 3, 1999, VAT_20)])
    assert amounts(order) == ([(5997, 0, 1199, 7196)], (5997, 0, 1199, 7196))


def test_a_12_5_percent_coupon_rounds_the_discount_half_up() -> None:
    # 5997 x 12.5 / 100 = 749.625 -> 750; base 5247; 5247 x 0.2 = 1049.4 -> 1049; 5247 + 1049 = 6296
    order = price_order("USD", [LineInput("prod_tee", 3, 1999, VAT_20)], CouponInput("SAVE", Decimal("12.5")))
    assert amounts(order) == ([(5997, 750, 1049, 6296)], (5997, 750, 1049, 6296))
    assert order.coupon_code == "SAVE"


def test_german_19_percent_vat_is_already_inside_the_price() -> None:
    # 1998 / 1.19 = 1678.99... -> 1679 net, tax 319; 11900 / 1.19 = 10000 exactly, tax 1900
    order = price_order("EUR", [LineInput("a", 2, 999, DE_19_INCL), LineInput("b", 1, 11900, DE_19_INCL)])
    assert amounts(order) == ([(1998, 0, 319, 1998), (11900, 0, 1900, 11900)], (13898, 0, 2219, 13898))


def test_california_sales_tax_7_25_percent() -> None:
    # 1000 x 0.0725 = 72.5 -> 73 (half-up, not to even); 1999 x 0.0725 = 144.9275 -> 145
    order = price_order("USD", [LineInput("a", 1, 1000, CA_SALES), LineInput("b", 1, 1999, CA_SALES)])
    assert amounts(order) == ([(1000, 0, 73, 1073), (1999, 0, 145, 2144)], (2999, 0, 218, 3217))


def test_yen_has_no_minor_unit_so_amounts_are_whole_yen() -> None:
    # 3 x 1980 = 5940, 10 % on top = 594; 1080 incl. 8 %: 1080 / 1.08 = 1000, tax 80
    jp_10 = TaxRate("tr_jp", "consumption tax", Decimal("0.10"), inclusive=False)
    jp_8 = TaxRate("tr_jp_food", "consumption tax (reduced)", Decimal("0.08"), inclusive=True)
    order = price_order("JPY", [LineInput("a", 3, 1980, jp_10), LineInput("b", 1, 1080, jp_8)])
    assert amounts(order) == ([(5940, 0, 594, 6534), (1080, 0, 80, 1080)], (7020, 0, 674, 7614))


def test_kuwaiti_dinar_has_three_decimals() -> None:
    # 2 x 1.255 KWD = 2510 fils; 2510 x 0.05 = 125.5 -> 126 fils; total 2.636 KWD
    five = TaxRate("tr_kw", "5 %", Decimal("0.05"), inclusive=False)
    order = price_order("KWD", [LineInput("a", 2, 1255, five)])
    assert amounts(order) == ([(2510, 0, 126, 2636)], (2510, 0, 126, 2636))


def test_an_amount_off_larger_than_the_discountable_subtotal_is_capped() -> None:
    # discountable S = 500 + 300 = 800; min(1000, 800) = 800 -> 500 and 300, bases 0, tax 0;
    # the excluded line keeps 200 + 200 x 0.2 = 240
    lines = [
        LineInput("a", 1, 500, VAT_20),
        LineInput("b", 1, 300, VAT_20),
        LineInput("c", 1, 200, VAT_20, discountable=False),
    ]
    order = price_order("USD", lines, CouponInput("BIG", amount_off=1000))
    assert amounts(order) == (
        [(500, 500, 0, 0), (300, 300, 0, 0), (200, 0, 40, 240)],
        (1000, 800, 40, 240),
    )


@pytest.mark.parametrize(
    ("base", "rate", "tax"),
    [
        (1000, "0.0725", 73),  # 72.5 -> up (banker's rounding would give 72)
        (6, "0.0725", 0),  # 0.435 -> down
        (7, "0.0725", 1),  # 0.5075 -> up
        (2, "0.25", 1),  # 0.5 -> up
        (25, "0.1", 3),  # 2.5 -> up (to even would be 2)
        (15, "0.1", 2),  # 1.5 -> up
        (5997, "0.2", 1199),  # 1199.4 -> down
        (5998, "0.2", 1200),  # 1199.6 -> up
    ],
)
def test_exclusive_half_cents_round_up_and_below_half_rounds_down(base: int, rate: str, tax: int) -> None:
    order = price_order("USD", [LineInput("a", 1, base, TaxRate(None, "t", Decimal(rate), False))])
    assert (order.tax_total, order.total) == (tax, base + tax)


@pytest.mark.parametrize(
    ("base", "net", "tax"),
    [
        (63, 53, 10),  # 63 / 1.2 = 52.5 -> net 53: the net rounds up, so the tax (10.5 exact) goes down
        (3, 3, 0),  # 2.5 -> 3: a 3-cent line carries no tax
        (9, 8, 1),  # 7.5 -> 8
        (64, 53, 11),  # 53.33... -> 53
        (65, 54, 11),  # 54.166... -> 54
    ],
)
def test_inclusive_half_cents_round_the_net_up(base: int, net: int, tax: int) -> None:
    order = price_order("EUR", [LineInput("a", 1, base, TaxRate(None, "t", Decimal("0.2"), True))])
    assert (order.lines[0].base - order.tax_total, order.tax_total, order.total) == (net, tax, base)


def test_a_half_unit_percent_discount_rounds_up() -> None:
    # 10 x 5 / 100 = 0.5 -> 1
    order = price_order("USD", [LineInput("a", 1, 10, None)], CouponInput("C", Decimal(5)))
    assert order.discount_total == 1 and order.total == 9


def test_a_coupon_spread_over_mixed_tax_rules() -> None:
    # S = 2000; 12.5 % -> 250. Shares 250 x {1000, 333, 667} / 2000 = 125, 41.625, 83.375: floors 125, 41, 83
    # (249), the one left over goes to the largest remainder .625 -> 125, 42, 83.
    # Bases 875, 291, 584. Tax: 875 x 0.2 = 175; 291 / 1.19 = 244.53... -> 245 net, tax 46; none.
    lines = [
        LineInput("a", 1, 1000, VAT_20),
        LineInput("b", 1, 333, DE_19_INCL),
        LineInput("c", 1, 667, None),
    ]
    order = price_order("EUR", lines, CouponInput("C", Decimal("12.5")))
    assert amounts(order) == (
        [(1000, 125, 175, 1050), (333, 42, 46, 291), (667, 83, 0, 584)],
        (2000, 250, 221, 1925),
    )


def test_largest_remainder_ties_go_to_the_earlier_line() -> None:
    # 100 over three equal lines: 33.33... each, floors 33, the one unit left to line 0
    order = price_order("USD", [LineInput(p, 1, 100, None) for p in "abc"], CouponInput("C", amount_off=100))
    assert [p.discount for p in order.lines] == [34, 33, 33]
    # 2 units over four equal lines: lines 0 and 1 get them
    order = price_order("USD", [LineInput(p, 1, 100, None) for p in "abcd"], CouponInput("C", amount_off=2))
    assert [p.discount for p in order.lines] == [1, 1, 0, 0]


def test_a_100_percent_coupon_leaves_nothing_to_tax() -> None:
    lines = [LineInput("a", 3, 1999, VAT_20), LineInput("b", 1, 2500, CA_SALES)]
    order = price_order("USD", lines, CouponInput("FREE", Decimal(100)))
    assert (order.discount_total, order.tax_total, order.total) == (8497, 0, 0)


def test_a_coupon_on_an_order_with_nothing_discountable_gives_no_discount() -> None:
    lines = [LineInput("a", 1, 1000, VAT_20, discountable=False), LineInput("b", 1, 0, None)]
    order = price_order("USD", lines, CouponInput("C", Decimal(50)))
    assert (order.discount_total, order.total) == (0, 1200)


def test_huge_quantities_stay_exact() -> None:
    # 10**12 x 10**9 = 10**21; x 0.2 = 2 x 10**20 exactly
    # inclusive: 10**21 / 1.19 = 840336134453781512605.04... -> net 840336134453781512605
    q, p = 10**12, 10**9
    order = price_order("USD", [LineInput("a", q, p, VAT_20)])
    assert (order.subtotal, order.tax_total, order.total) == (10**21, 2 * 10**20, 12 * 10**20)
    order = price_order("USD", [LineInput("a", q, p, DE_19_INCL)])
    assert order.tax_total == 10**21 - 840336134453781512605
    order = price_order("USD", [LineInput("a", q, p + 1, CA_SALES)], CouponInput("C", Decimal("33.3333")))
    assert order.subtotal == 1_000_000_001_000_000_000_000


def test_the_trace_replays_every_cent() -> None:
    order = price_order("USD", [LineInput("prod_tee", 3, 1999, VAT_20)], CouponInput("SAVE", Decimal("12.5")))
    assert order.explain().splitlines() == [
        "line.subtotal[0] 5997 -> 5997 (none)",
        "order.subtotal 5997 -> 5997 (none)",
        "coupon.discount 749.625 -> 750 (half-up)",
        "line.discount[0] 750 -> 750 (largest-remainder)",
        "line.tax[0] 1049.4 -> 1049 (half-up)",
        "line.total[0] 6296 -> 6296 (none)",
        "order.discountTotal 750 -> 750 (none)",
        "order.taxTotal 1049 -> 1049 (none)",
        "order.total 6296 -> 6296 (none)",
    ]
    tax = next(s for s in order.trace if s.step == "line.tax")
    assert tax.inputs == {"base": 5247, "rate": "0.2", "inclusive": False, "taxRuleId": "tr_gb_vat"}


def test_a_non_terminating_quotient_is_cut_and_marked() -> None:
    order = price_order("EUR", [LineInput("a", 2, 999, DE_19_INCL)])
    net = next(s for s in order.trace if s.step == "line.net")
    assert (net.exact, net.result, net.rounding) == ("1678.991596638655…", 1679, "half-up")


def test_json_form_is_camel_case_with_decimal_strings_and_rebuilds_exactly() -> None:
    order = price_order("EUR", [LineInput("a", 2, 999, DE_19_INCL)], CouponInput("C", amount_off=98))
    data = order.to_dict()
    assert data["lines"][0] == {
        "productId": "a",
        "quantity": 2,
        "unitPrice": 999,
        "subtotal": 1998,
        "discount": 98,
        "taxRuleId": "tr_de_mwst",
        "taxName": "MwSt",
        "taxRate": "0.19",
        "taxInclusive": True,
        "tax": 303,  # 1900 / 1.19 = 1596.63... -> 1597 net
        "total": 1900,
    }
    assert {k: data[k] for k in ("subtotal", "discountTotal", "taxTotal", "total", "couponCode")} == {
        "subtotal": 1998,
        "discountTotal": 98,
        "taxTotal": 303,
        "total": 1900,
        "couponCode": "C",
    }
    assert PricedOrder.from_dict(json.loads(json.dumps(data))) == order


def test_a_line_without_a_tax_rule_has_rate_zero() -> None:
    line = price_order("USD", [LineInput("a", 1, 100, None)]).lines[0]
    assert (line.tax_rule_id, line.tax_name, line.tax_rate, line.tax_inclusive, line.tax) == (
        None,
        None,
        Decimal(0),
        False,
        0,
    )
    assert line.to_dict()["taxRate"] == "0"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["lines"][0].update(total=1), "lines[0].total"),
        (lambda d: d["lines"][0].update(subtotal=1), "lines[0].subtotal"),
        (lambda d: d.update(taxTotal=1), "taxTotal"),
        (lambda d: d.update(total=d["total"] + 1), "total"),
        (lambda d: d["lines"][0].update(quantity=2.0), "lines[0].quantity"),
        (lambda d: d["lines"][0].update(taxRate=0.19), "lines[0].taxRate"),
        (lambda d: d["lines"][0].update(taxRate="abc"), "lines[0].taxRate"),
        (lambda d: d["lines"][0].update(taxRate="-0.19"), "lines[0].taxRate"),
        (lambda d: d["lines"][0].pop("tax"), "lines[0].tax"),
        (lambda d: d.update(currency="usd"), "currency"),
        (lambda d: d["trace"][0].update(result="5"), "trace[0].result"),
    ],
)
def test_a_corrupt_priced_order_is_refused_naming_the_field(mutate: object, field: str) -> None:
    data = price_order("EUR", [LineInput("a", 2, 999, DE_19_INCL)]).to_dict()
    mutate(data)  # type: ignore[operator]
    with pytest.raises(PricingError) as err:
        PricedOrder.from_dict(data)
    assert err.value.field == field


def _line(**changes: object) -> LineInput:
    values: dict[str, object] = {"product_id": "a", "quantity": 1, "unit_price": 100, "tax": VAT_20}
    values.update(changes)
    return LineInput(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("lines", "coupon", "field", "is_type_error"),
    [
        ([_line(quantity=0)], None, "lines[0].quantity", False),
        ([_line(quantity=-1)], None, "lines[0].quantity", False),
        ([_line(quantity=1.0)], None, "lines[0].quantity", True),
        ([_line(quantity=True)], None, "lines[0].quantity", True),
        ([_line(quantity=Decimal(2))], None, "lines[0].quantity", True),
        ([_line(), _line(), _line(), _line(quantity=0)], None, "lines[3].quantity", False),
        ([_line(unit_price=-1)], None, "lines[0].unitPrice", False),
        ([_line(unit_price=19.99)], None, "lines[0].unitPrice", True),
        ([_line(product_id="")], None, "lines[0].productId", False),
        ([_line(discountable=1)], None, "lines[0].discountable", True),
        ([_line(tax=TaxRate(None, "t", 0.2, False))], None, "lines[0].tax.rate", True),  # type: ignore[arg-type]
        ([_line(tax=TaxRate(None, "t", "0.2", False))], None, "lines[0].tax.rate", True),  # type: ignore[arg-type]
        ([_line(tax=TaxRate(None, "t", Decimal("-0.1"), False))], None, "lines[0].tax.rate", False),
        ([_line(tax=TaxRate(None, "t", Decimal(10), False))], None, "lines[0].tax.rate", False),
        ([_line(tax=TaxRate(None, "t", Decimal("NaN"), False))], None, "lines[0].tax.rate", False),
        ([_line(tax=TaxRate(None, "t", Decimal("Infinity"), False))], None, "lines[0].tax.rate", False),
        ([_line(tax=TaxRate(None, "t", Decimal("0.2"), "yes"))], None, "lines[0].tax.inclusive", True),  # type: ignore[arg-type]
        ([_line(tax="VAT")], None, "lines[0].tax", True),
        (["a line"], None, "lines[0]", True),
        ([], None, "lines", False),
        ([_line()], CouponInput("C"), "coupon", False),
        ([_line()], CouponInput("C", Decimal(5), 5), "coupon", False),
        ([_line()], CouponInput("", Decimal(5)), "coupon.code", False),
        ([_line()], CouponInput("C", Decimal(0)), "coupon.percentOff", False),
        ([_line()], CouponInput("C", Decimal("100.01")), "coupon.percentOff", False),
        ([_line()], CouponInput("C", 12.5), "coupon.percentOff", True),  # type: ignore[arg-type]
        ([_line()], CouponInput("C", amount_off=0), "coupon.amountOff", False),
        ([_line()], CouponInput("C", amount_off=5.0), "coupon.amountOff", True),  # type: ignore[arg-type]
        ([_line()], "SAVE10", "coupon", True),
    ],
)
def test_invalid_input_names_the_field(lines: list, coupon: object, field: str, is_type_error: bool) -> None:
    with pytest.raises(PricingError) as err:
        price_order("USD", lines, coupon)  # type: ignore[arg-type]
    assert err.value.field == field
    assert isinstance(err.value, TypeError) == is_type_error
    assert isinstance(err.value, PricingTypeError) == is_type_error


@pytest.mark.parametrize("currency", ["usd", "ZZZ", "XAU", "", 840])
def test_unknown_currencies_are_refused(currency: object) -> None:
    with pytest.raises(PricingError) as err:
        price_order(currency, [_line()])  # type: ignore[arg-type]
    assert err.value.field == "currency"


def test_floats_are_refused_with_a_type_error() -> None:
    with pytest.raises(TypeError):
        price_order("USD", [_line(tax=TaxRate(None, "t", 0.2, False))])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        price_order("USD", [_line()], CouponInput("C", 10.0))  # type: ignore[arg-type]


def test_a_pricing_error_becomes_a_422_problem_naming_the_field() -> None:
    with pytest.raises(PricingError) as err:
        price_order("USD", [_line(), _line(quantity=0)])
    problem = err.value.to_problem()
    assert problem.status == 422
    assert problem.to_dict()["errors"] == [
        {"field": "lines[1].quantity", "message": "must be at least 1, got 0"}
    ]
    assert err.value.within("order").field == "order.lines[1].quantity"


def test_a_priced_order_rebuilds_without_its_trace() -> None:
    # An event may leave the (long) trace out: the amounts alone rebuild the order.
    order = price_order("USD", [LineInput("a", 3, 1999, VAT_20)], CouponInput("C", Decimal(10)))
    data = order.to_dict()
    del data["trace"]
    rebuilt = PricedOrder.from_dict(data)
    assert rebuilt.trace == [] and rebuilt.lines == order.lines and rebuilt.total == order.total


@pytest.mark.parametrize(
    ("step", "field"),
    [
        ("not a step", "trace[0]"),
        ({"step": "x", "line": None, "inputs": {}, "exact": "1", "result": 1}, "trace[0].rounding"),
        (
            {"step": "x", "line": "0", "inputs": {}, "exact": "1", "result": 1, "rounding": "none"},
            "trace[0].line",
        ),
        (
            {"step": "x", "line": 0, "inputs": {"a": [1]}, "exact": "1", "result": 1, "rounding": "none"},
            "trace[0].inputs",
        ),
    ],
)
def test_a_corrupt_trace_step_is_refused_naming_the_field(step: object, field: str) -> None:
    data = price_order("USD", [LineInput("a", 1, 100, None)]).to_dict()
    data["trace"] = [step]
    with pytest.raises(PricingError) as err:
        PricedOrder.from_dict(data)
    assert err.value.field == field


@pytest.mark.parametrize(
    ("rate", "text"),
    [("1E-7", "0.0000001"), ("-0", "0"), ("2.5E-1", "0.25"), ("5E+0", "5"), ("0.20", "0.20")],
)
def test_rates_are_written_in_plain_decimal_notation(rate: str, text: str) -> None:
    order = price_order("USD", [LineInput("a", 1, 100, TaxRate(None, "t", Decimal(rate), False))])
    assert order.to_dict()["lines"][0]["taxRate"] == text
    assert next(s for s in order.trace if s.step == "line.tax").inputs["rate"] == text
    assert PricedOrder.from_dict(order.to_dict()) == order
