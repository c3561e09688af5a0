"""Pricing a subscription change's proration lines: steps 2-4 of the pricing rule on signed lines.

A charge line is priced like an order line whose subtotal is its prorated amount. A credit line is
the exact mirror of the charge line its amount would make: every figure negated, so a negative base
gives a negative tax and half-up stays away from zero on both sides.

A coupon in force applies to these lines only when it is a percentage: each line's discount is
round(|amount| x p / 100) with the line's sign (a credit gives back the discounted price that was
paid). An amount-off coupon is a fixed sum per period, taken once on the period's invoice, so it
does not touch proration lines (otherwise every change would take it again).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import localcontext

from ._exact import decimal_parts, half_up, plain, scaled_str
from .engine import HALF_UP, _check_tax, _context, _price_line
from .errors import PricingError
from .model import CouponInput, PricedLine, PricedOrder, TaxRate, TraceStep, mirror
from .proration import CREDIT, Proration

NONE = "none"


@dataclass(frozen=True, slots=True)
class LineTerms:
    """What prices one proration line besides its amount: its tax rule and whether the coupon
    covers its product."""

    tax: TaxRate | None
    discountable: bool = True


def price_proration(
    currency: str,
    proration: Proration,
    terms: Sequence[LineTerms],
    coupon: CouponInput | None,
) -> PricedOrder:
    """The proration's lines priced (`terms[i]` for `proration.lines[i]`), each keeping the
    fraction it was prorated by, so that a stored invoice can be checked against the rule."""
    if len(terms) != len(proration.lines):
        raise PricingError("lines", "one set of terms per proration line")
    if not proration.lines:
        raise PricingError("lines", "a change needs at least one line")
    trace: list[TraceStep] = list(proration.trace)
    percent = coupon.percent_off if coupon is not None else None
    priced: list[PricedLine] = []
    for i, (line, term) in enumerate(zip(proration.lines, terms, strict=True)):
        magnitude = abs(line.amount)
        sign = -1 if line.kind == CREDIT else 1
        discount = 0
        if percent is not None and term.discountable and magnitude:
            coefficient, scale = decimal_parts(percent, "coupon.percentOff")
            exact = scaled_str(magnitude * coefficient, scale + 2)
            discount = half_up(exact)
            trace.append(
                _signed(
                    TraceStep(
                        "line.discount",
                        i,
                        {
                            "code": coupon.code if coupon else None,
                            "amount": magnitude,
                            "percentOff": plain(percent),
                        },
                        exact,
                        discount,
                        HALF_UP,
                    ),
                    sign,
                )
            )
        rate = None if term.tax is None else _check_tax(term.tax, f"lines[{i}].tax")
        steps: list[TraceStep] = []
        with localcontext(_context(magnitude)):
            charge = _price_line(
                i, line.product_id, line.quantity, line.unit_price, magnitude, discount, rate, steps
            )
        fraction = f"{proration.fraction.numerator}/{proration.fraction.denominator}"
        priced.append((charge if sign > 0 else mirror(charge))._replace(proration=fraction))
        trace += [_signed(step, sign) for step in steps]
    subtotal = sum(p.subtotal for p in priced)
    discount_total = sum(p.discount for p in priced)
    tax_total = sum(p.tax for p in priced)
    total = sum(p.total for p in priced)
    for name, value in (
        ("order.subtotal", subtotal),
        ("order.discountTotal", discount_total),
        ("order.taxTotal", tax_total),
        ("order.total", total),
    ):
        trace.append(TraceStep(name, None, {"lines": len(priced)}, str(value), value, NONE))
    return PricedOrder(
        currency=currency,
        lines=priced,
        subtotal=subtotal,
        discount_total=discount_total,
        tax_total=tax_total,
        total=total,
        coupon_code=coupon.code if coupon is not None and percent is not None else None,
        trace=trace,
    )


def combine(currency: str, parts: Sequence[PricedOrder]) -> PricedOrder:
    """One invoice of several priced parts (a period's lines and the prorations that waited for
    it): the lines one after the other, the sums of them, each trace step kept with its line
    renumbered."""
    lines: list[PricedLine] = []
    trace: list[TraceStep] = []
    for part in parts:
        if part.currency != currency:
            raise PricingError("currency", f"a {part.currency} part cannot join a {currency} invoice")
        offset = len(lines)
        lines += part.lines
        trace += [s if s.line is None else s._replace(line=s.line + offset) for s in part.trace]
    if not lines:
        raise PricingError("lines", "an invoice needs at least one line")
    codes = {p.coupon_code for p in parts if p.coupon_code}
    return PricedOrder(
        currency=currency,
        lines=lines,
        subtotal=sum(x.subtotal for x in lines),
        discount_total=sum(x.discount for x in lines),
        tax_total=sum(x.tax for x in lines),
        total=sum(x.total for x in lines),
        coupon_code=codes.pop() if len(codes) == 1 else None,
        trace=trace,
    )


def _signed(step: TraceStep, sign: int) -> TraceStep:
    """A credit line's step: the mirror's figures negated (inputs that are amounts too)."""
    if sign > 0:
        return step
    inputs = {
        k: (-v if isinstance(v, int) and not isinstance(v, bool) and k in _AMOUNTS else v)
        for k, v in step.inputs.items()
    }
    exact = step.exact if step.exact in ("0", "") else "-" + step.exact
    return step._replace(inputs=inputs, exact=exact, result=-step.result)


_AMOUNTS = frozenset({"amount", "base", "tax", "net"})
