"""The proration rule: what a subscription's change at instant t of its period [s, e) credits and
charges, before the pricing rule (coupon, tax) prices those lines (docs/money.md, "Proration").

    f = (e - t) / (e - s), exact, from the instants to the microsecond
    an old item gives a credit line  -round(unitPrice x quantity x f)
    a new item gives a charge line   +round(unitPrice x quantity x f)

`round` is the platform's one rule (half-up, away from zero), per line, through `money.round_half_up`.
Pure: no clock, no I/O; every line keeps a trace step to replay it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from ._exact import ELLIPSIS, half_up, ratio_str
from .errors import PricingError
from .model import TraceStep

CREDIT, CHARGE = "credit", "charge"
_MICROS = 1_000_000


@dataclass(frozen=True, slots=True)
class ProrationItem:
    """One item of the subscription before or after the change, at the catalog's unit price."""

    product_id: str
    quantity: int
    unit_price: int


@dataclass(frozen=True, slots=True)
class ProrationLine:
    """A credit (negative `amount`) for an old item's unused time, or a charge for a new item's."""

    product_id: str
    quantity: int
    unit_price: int
    kind: str  # CREDIT | CHARGE
    amount: int


@dataclass(frozen=True, slots=True)
class Proration:
    fraction: Fraction  # of the period left at the change
    lines: list[ProrationLine]
    trace: list[TraceStep]

    @property
    def net(self) -> int:
        """The lines' sum before coupon and tax: negative when the change leaves credit."""
        return sum(line.amount for line in self.lines)


def _micros(a: datetime, b: datetime) -> int:
    d = b - a
    return (d.days * 86_400 + d.seconds) * _MICROS + d.microseconds


def fraction_left(start: datetime, end: datetime, at: datetime) -> Fraction:
    """(end - at) / (end - start), exact; `at` must lie within [start, end]."""
    for name, moment in (("periodStart", start), ("periodEnd", end), ("prorationDate", at)):
        if moment.tzinfo is None:
            raise PricingError(name, "must carry its time zone")
    whole = _micros(start, end)
    if whole <= 0:
        raise PricingError("periodEnd", "must be after the period's start")
    left = _micros(at, end)
    if not 0 <= left <= whole:
        raise PricingError("prorationDate", "must lie within the current period")
    return Fraction(left, whole)


def prorate(
    old: list[ProrationItem], new: list[ProrationItem], start: datetime, end: datetime, at: datetime
) -> Proration:
    """The credit and charge lines of replacing `old` by `new` at `at`, in that order."""
    f = fraction_left(start, end, at)
    lines: list[ProrationLine] = []
    trace: list[TraceStep] = []
    for kind, items in ((CREDIT, old), (CHARGE, new)):
        for item in items:
            if item.quantity < 0 or item.unit_price < 0:
                raise PricingError("items", "quantities and unit prices are never negative")
            magnitude = item.unit_price * item.quantity * f
            text, whole = ratio_str(magnitude.numerator, magnitude.denominator)
            rounded = half_up(text)
            amount = -rounded if kind == CREDIT else rounded
            lines.append(ProrationLine(item.product_id, item.quantity, item.unit_price, kind, amount))
            sign = "-" if kind == CREDIT and text != "0" else ""
            trace.append(
                TraceStep(
                    f"proration.{kind}",
                    len(lines) - 1,
                    {
                        "unitPrice": item.unit_price,
                        "quantity": item.quantity,
                        "fraction": f"{f.numerator}/{f.denominator}",
                    },
                    sign + text + ("" if whole else ELLIPSIS),
                    amount,
                    "half-up",
                )
            )
    return Proration(f, lines, trace)
