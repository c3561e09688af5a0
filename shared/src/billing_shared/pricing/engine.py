"""`price_order`: the platform's pricing rule, on integers in the currency's minor unit.

1. line subtotal = quantity x unit price (exact ints); order subtotal = their sum.
2. coupon on the discountable lines' subtotal S: percent p -> round(S x p / 100); amount a -> min(a, S);
   spread over those lines by the largest-remainder method (ties to the earlier line).
3. tax on base = subtotal - discount: exclusive r -> round(base x r) on top; inclusive r ->
   base - round(base / (1 + r)), already inside base. No rule -> 0.
4. line total = base + exclusive tax; the order's totals are the sums of the lines'.
`round` is `billing_shared.money.round_half_up`. Rates are exact Decimals turned into integer
fractions once per order, so the per-line work is int arithmetic plus one rounding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Context, Decimal, DivisionByZero, FloatOperation, InvalidOperation, Overflow, localcontext

from billing_shared.money import is_currency

from ._exact import ELLIPSIS, decimal_parts, half_up, plain, ratio_str, scaled_str
from .errors import PricingError, PricingTypeError
from .model import CouponInput, LineInput, PricedLine, PricedOrder, TaxRate, TraceStep, TraceValue

HALF_UP = "half-up"
LARGEST_REMAINDER = "largest-remainder"
NONE = "none"
ZERO = Decimal(0)
RATE_LIMIT = Decimal(10)  # a rate is < 10 (1000 %): anything larger is a typo, not a tax


@dataclass(frozen=True, slots=True)
class _Rate:
    """A checked tax rate as the integer fraction coefficient / 10**scale, worked out once per order."""

    tax: TaxRate
    coefficient: int
    scale: int
    text: str

    @property
    def one(self) -> int:
        """1 in the rate's scale: 1 + r = (one + coefficient) / one."""
        return 10**self.scale


def price_order(currency: str, lines: Sequence[LineInput], coupon: CouponInput | None = None) -> PricedOrder:
    """Price an order by the platform's pricing rule; see the module docstring and docs/money.md.

    Raises `PricingError` naming the bad field (`lines[3].quantity`); a float anywhere is refused with
    `PricingTypeError`, which is also a `TypeError`.
    """
    if not isinstance(currency, str) or not is_currency(currency):
        raise PricingError("currency", f"'{currency}' is not an upper-case ISO 4217 currency code")
    if not isinstance(lines, Sequence) or isinstance(lines, str):
        raise PricingTypeError("lines", "must be a list of LineInput")
    if not lines:
        raise PricingError("lines", "an order needs at least one line")
    rates: dict[int, _Rate | None] = {}
    for i, line in enumerate(lines):
        _check_line(line, i, rates)
    if coupon is not None:
        _check_coupon(coupon)

    trace: list[TraceStep] = []
    subtotals = [line.quantity * line.unit_price for line in lines]
    for i, line in enumerate(lines):
        trace.append(
            TraceStep(
                "line.subtotal",
                i,
                {"quantity": line.quantity, "unitPrice": line.unit_price},
                str(subtotals[i]),
                subtotals[i],
                NONE,
            )
        )
    subtotal = sum(subtotals)
    trace.append(TraceStep("order.subtotal", None, {"lines": len(lines)}, str(subtotal), subtotal, NONE))

    with localcontext(_context(subtotal)):
        discounts = _discounts(lines, subtotals, coupon, trace)
        priced = [
            _price_line(
                i,
                line.product_id,
                line.quantity,
                line.unit_price,
                subtotals[i],
                discounts[i],
                rates[id(line.tax)],
                trace,
            )
            for i, line in enumerate(lines)
        ]

    discount_total = sum(discounts)
    tax_total = sum(p.tax for p in priced)
    total = sum(p.total for p in priced)
    for name, value, part in (
        ("order.discountTotal", discount_total, "discount"),
        ("order.taxTotal", tax_total, "tax"),
        ("order.total", total, "total"),
    ):
        trace.append(TraceStep(name, None, {"lines": len(lines), "sumOf": part}, str(value), value, NONE))
    return PricedOrder(
        currency=currency,
        lines=priced,
        subtotal=subtotal,
        discount_total=discount_total,
        tax_total=tax_total,
        total=total,
        coupon_code=coupon.code if coupon is not None else None,
        trace=trace,
    )


def _context(subtotal: int) -> Context:
    """A Decimal context of our own, so no caller's precision or traps can change a cent.

    `round_half_up` quantizes to an integer, which needs every digit of the value in the precision;
    no rounded value has more integer digits than ten times the order's subtotal.
    """
    return Context(
        prec=max(28, len(str(subtotal)) + 4),
        traps=[InvalidOperation, DivisionByZero, Overflow, FloatOperation],
    )


def _check_line(line: object, i: int, rates: dict[int, _Rate | None]) -> None:
    where = f"lines[{i}]"
    if not isinstance(line, LineInput):
        raise PricingTypeError(where, "must be a LineInput")
    if not isinstance(line.product_id, str) or not line.product_id:
        raise PricingError(f"{where}.productId", "must be a non-empty string")
    quantity = line.quantity
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise PricingTypeError(f"{where}.quantity", f"must be a whole number, not {type(quantity).__name__}")
    if quantity <= 0:
        raise PricingError(f"{where}.quantity", f"must be at least 1, got {quantity}")
    price = line.unit_price
    if isinstance(price, bool) or not isinstance(price, int):
        raise PricingTypeError(
            f"{where}.unitPrice", f"must be an integer in minor units, not {type(price).__name__}"
        )
    if price < 0:
        raise PricingError(f"{where}.unitPrice", f"must not be negative, got {price}")
    if not isinstance(line.discountable, bool):
        raise PricingTypeError(f"{where}.discountable", "must be true or false")
    tax = line.tax
    if tax is None:
        rates[id(None)] = None
    elif id(tax) not in rates:  # one check per distinct TaxRate object, not per line
        rates[id(tax)] = _check_tax(tax, f"{where}.tax")


def _check_tax(tax: object, where: str) -> _Rate:
    if not isinstance(tax, TaxRate):
        raise PricingTypeError(where, "must be a TaxRate or null")
    if tax.rule_id is not None and not isinstance(tax.rule_id, str):
        raise PricingTypeError(f"{where}.ruleId", "must be a string or null")
    if not isinstance(tax.name, str):
        raise PricingTypeError(f"{where}.name", "must be a string")
    if not isinstance(tax.inclusive, bool):
        raise PricingTypeError(f"{where}.inclusive", "must be true or false")
    coefficient, scale = decimal_parts(tax.rate, f"{where}.rate")
    if coefficient < 0 or tax.rate >= RATE_LIMIT:
        raise PricingError(f"{where}.rate", f"must be >= 0 and < {RATE_LIMIT}, got {tax.rate}")
    return _Rate(tax, coefficient, scale, plain(tax.rate))


def _check_coupon(coupon: object) -> None:
    if not isinstance(coupon, CouponInput):
        raise PricingTypeError("coupon", "must be a CouponInput or null")
    if not isinstance(coupon.code, str) or not coupon.code:
        raise PricingError("coupon.code", "must be a non-empty string")
    if (coupon.percent_off is None) == (coupon.amount_off is None):
        raise PricingError("coupon", "needs exactly one of percentOff and amountOff")
    if coupon.percent_off is not None:
        coefficient, _ = decimal_parts(coupon.percent_off, "coupon.percentOff")
        if coefficient <= 0 or coupon.percent_off > 100:
            raise PricingError("coupon.percentOff", f"must be > 0 and <= 100, got {coupon.percent_off}")
    else:
        amount = coupon.amount_off
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise PricingTypeError("coupon.amountOff", "must be an integer in minor units")
        if amount <= 0:
            raise PricingError("coupon.amountOff", f"must be at least 1, got {amount}")


def _discounts(
    lines: Sequence[LineInput], subtotals: list[int], coupon: CouponInput | None, trace: list[TraceStep]
) -> list[int]:
    """Step 2: the coupon's discount D and its largest-remainder spread over the discountable lines."""
    discounts = [0] * len(lines)
    if coupon is None:
        return discounts
    eligible = [i for i, line in enumerate(lines) if line.discountable]
    base = sum(subtotals[i] for i in eligible)
    inputs: dict[str, TraceValue] = {"code": coupon.code, "discountableSubtotal": base}
    if coupon.percent_off is not None:
        coefficient, scale = decimal_parts(coupon.percent_off, "coupon.percentOff")
        exact = scaled_str(base * coefficient, scale + 2)  # S x p / 100, exact
        discount = half_up(exact)
        inputs["percentOff"] = plain(coupon.percent_off)
        rounding = HALF_UP
    else:
        assert coupon.amount_off is not None  # _check_coupon
        discount = min(coupon.amount_off, base)
        exact = str(discount)
        inputs["amountOff"] = coupon.amount_off
        rounding = NONE
    trace.append(TraceStep("coupon.discount", None, inputs, exact, discount, rounding))
    if discount == 0:
        return discounts

    # Largest remainder: floor(D x s_i / S) each; the leftover units one each to the largest remainders
    # (all over the same S, so comparable as ints), ties to the earlier line. A line only gets a unit
    # when its remainder is > 0, i.e. floor < D x s_i / S <= s_i, so no discount exceeds its subtotal.
    remainders: dict[int, int] = {}
    for i in eligible:
        discounts[i], remainders[i] = divmod(discount * subtotals[i], base)
    leftover = discount - sum(discounts)
    extra = set(sorted(eligible, key=lambda i: (-remainders[i], i))[:leftover])
    for i in eligible:
        if i in extra:
            discounts[i] += 1
        text, terminated = ratio_str(discount * subtotals[i], base)
        trace.append(
            TraceStep(
                "line.discount",
                i,
                {
                    "discount": discount,
                    "lineSubtotal": subtotals[i],
                    "discountableSubtotal": base,
                    "remainder": remainders[i],
                    "extraUnit": i in extra,
                },
                text if terminated else text + ELLIPSIS,
                discounts[i],
                LARGEST_REMAINDER,
            )
        )
    return discounts


def _price_line(
    i: int,
    product_id: str,
    quantity: int,
    unit_price: int,
    subtotal: int,
    discount: int,
    rate: _Rate | None,
    trace: list[TraceStep],
) -> PricedLine:
    """Steps 3 and 4 for one line: its tax on base = subtotal - discount, and its total."""
    base = subtotal - discount
    if rate is None:
        trace.append(TraceStep("line.tax", i, {"base": base, "taxRuleId": None}, "0", 0, NONE))
        trace.append(
            TraceStep("line.total", i, {"base": base, "tax": 0, "taxInclusive": False}, str(base), base, NONE)
        )
        return PricedLine(
            product_id, quantity, unit_price, subtotal, discount, None, None, ZERO, False, 0, base
        )
    tax_rate = rate.tax
    inputs: dict[str, TraceValue] = {
        "base": base,
        "rate": rate.text,
        "inclusive": tax_rate.inclusive,
        "taxRuleId": tax_rate.rule_id,
    }
    if tax_rate.inclusive:
        # base / (1 + r) = base x one / (one + coefficient): cut, then half-up (exact, see _exact).
        one = rate.one
        text, terminated = ratio_str(base * one, one + rate.coefficient)
        net = half_up(text)
        tax = base - net
        total = base
        trace.append(TraceStep("line.net", i, inputs, text if terminated else text + ELLIPSIS, net, HALF_UP))
        trace.append(TraceStep("line.tax", i, {"base": base, "net": net}, str(tax), tax, NONE))
    else:
        exact = scaled_str(base * rate.coefficient, rate.scale)  # base x r, exact
        tax = half_up(exact)
        total = base + tax
        trace.append(TraceStep("line.tax", i, inputs, exact, tax, HALF_UP))
    trace.append(
        TraceStep(
            "line.total",
            i,
            {"base": base, "tax": tax, "taxInclusive": tax_rate.inclusive},
            str(total),
            total,
            NONE,
        )
    )
    return PricedLine(
        product_id,
        quantity,
        unit_price,
        subtotal,
        discount,
        tax_rate.rule_id,
        tax_rate.name,
        tax_rate.rate,
        tax_rate.inclusive,
        tax,
        total,
    )
