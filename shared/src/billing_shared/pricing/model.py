"""The inputs and the result of pricing, and the result's JSON form (camelCase, Decimals as strings).

Inputs are plain frozen records; `price_order` checks them and names the bad field, so a record built
from a request can be refused with the request's own field path. The result is what orders stores and
sends in OrderCreated; invoicing rebuilds it with `PricedOrder.from_dict` and copies it to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, NamedTuple

from billing_shared.money import is_currency

from ._exact import half_up, plain, ratio_str
from .errors import PricingError, PricingTypeError

TraceValue = str | int | bool | None


@dataclass(frozen=True, slots=True)
class TaxRate:
    """The tax rule that applies to one line: an exact rate, 0 <= rate < 10, inclusive or exclusive."""

    rule_id: str | None
    name: str
    rate: Decimal
    inclusive: bool


@dataclass(frozen=True, slots=True)
class LineInput:
    """One order line as priced: `unit_price` in minor units from the catalog, never from the client.

    `discountable=False` keeps a line out of the coupon (the coupon's product restriction excludes it).
    """

    product_id: str
    quantity: int
    unit_price: int
    tax: TaxRate | None
    discountable: bool = True


@dataclass(frozen=True, slots=True)
class CouponInput:
    """A coupon as applied: exactly one of `percent_off` (0 < p <= 100) or `amount_off` (> 0).

    `amount_off` is in the order's currency; checking that the coupon's currency is the order's is
    the caller's job, because only the caller knows the coupon's currency.
    """

    code: str
    percent_off: Decimal | None = None
    amount_off: int | None = None


class TraceStep(NamedTuple):
    """One step of the calculation, enough to replay it by hand.

    A NamedTuple, not a frozen dataclass: a 1,000-line order makes ~5,000 steps, and a tuple is built
    three times faster, which keeps pricing inside its time budget.

    `exact` is the value before rounding as decimal text; a quotient that does not terminate is cut
    after 12 decimals and ends with "…". `rounding` is "half-up", "largest-remainder" or "none".
    """

    step: str
    line: int | None
    inputs: dict[str, TraceValue]
    exact: str
    result: int
    rounding: str

    def render(self) -> str:
        """One readable line: `line.tax[0] 1199.4 -> 1199 (half-up)`."""
        where = "" if self.line is None else f"[{self.line}]"
        return f"{self.step}{where} {self.exact} -> {self.result} ({self.rounding})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "line": self.line,
            "inputs": dict(self.inputs),
            "exact": self.exact,
            "result": self.result,
            "rounding": self.rounding,
        }


class PricedLine(NamedTuple):
    """One priced line. `tax` is inside `total` when `tax_inclusive`, on top of it otherwise.

    Immutable like the inputs; a NamedTuple for the same reason as `TraceStep`.
    """

    product_id: str
    quantity: int
    unit_price: int
    subtotal: int
    discount: int
    tax_rule_id: str | None
    tax_name: str | None
    tax_rate: Decimal
    tax_inclusive: bool
    tax: int
    total: int
    # A subscription change's line (`price_proration`): the fraction of the period left, "n/d".
    # Its figures are signed (a credit is negative) and its subtotal is +-round(q x p x fraction).
    proration: str | None = None

    @property
    def base(self) -> int:
        """The taxed amount: the subtotal less the line's share of the discount."""
        return self.subtotal - self.discount

    def to_dict(self) -> dict[str, Any]:
        return {
            "productId": self.product_id,
            "quantity": self.quantity,
            "unitPrice": self.unit_price,
            "subtotal": self.subtotal,
            "discount": self.discount,
            "taxRuleId": self.tax_rule_id,
            "taxName": self.tax_name,
            "taxRate": plain(self.tax_rate),
            "taxInclusive": self.tax_inclusive,
            "tax": self.tax,
            "total": self.total,
        } | ({} if self.proration is None else {"proration": self.proration})


@dataclass(frozen=True, slots=True)
class PricedOrder:
    """A priced order: the lines, the order's sums of them, and the trace of every step."""

    currency: str
    lines: list[PricedLine]
    subtotal: int
    discount_total: int
    tax_total: int
    total: int
    coupon_code: str | None = None
    trace: list[TraceStep] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready camelCase data: ints for money, strings for rates, the trace as dicts."""
        return {
            "currency": self.currency,
            "lines": [line.to_dict() for line in self.lines],
            "subtotal": self.subtotal,
            "discountTotal": self.discount_total,
            "taxTotal": self.tax_total,
            "total": self.total,
            "couponCode": self.coupon_code,
            "trace": [step.to_dict() for step in self.trace],
        }

    def explain(self) -> str:
        """The trace, one rendered step per line, for logs and for people."""
        return "\n".join(step.render() for step in self.trace)

    @classmethod
    def from_dict(cls, data: Any) -> PricedOrder:
        """Rebuild a priced order from `to_dict()` data (an OrderCreated event) without recomputing it.

        The amounts are checked to add up (line subtotal = quantity x unit price, line total = base +
        exclusive tax, order sums = sums of the lines) so a corrupt event is refused with a
        `PricingError`, but nothing is re-rounded: the cents are the ones orders computed.
        """
        obj = _Reader(data, "")
        lines = [_line_from(item) for item in obj.items("lines")]
        obj.signed = any(line.proration is not None for line in lines)
        currency = obj.string("currency")
        if not is_currency(currency):
            raise PricingError("currency", f"'{currency}' is not an upper-case ISO 4217 currency code")
        order = cls(
            currency=currency,
            lines=lines,
            subtotal=obj.amount("subtotal"),
            discount_total=obj.amount("discountTotal"),
            tax_total=obj.amount("taxTotal"),
            total=obj.amount("total"),
            coupon_code=obj.optional_string("couponCode"),
            trace=_trace_from(data.get("trace")),
        )
        _check_sums(order)
        return order


class _Reader:
    """Typed access to one JSON object with errors that name the field path."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise PricingTypeError(path or "(body)", "must be an object")
        self.data = data
        self.path = path
        self.signed = False  # a proration line's amounts may be negative (credits)

    def name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str) -> Any:
        if key not in self.data:
            raise PricingError(self.name(key), "is required")
        return self.data[key]

    def amount(self, key: str) -> int:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise PricingTypeError(self.name(key), "must be an integer amount in minor units")
        if value < 0 and not self.signed:
            raise PricingError(self.name(key), "must not be negative")
        return value

    def string(self, key: str) -> str:
        value = self.get(key)
        if not isinstance(value, str):
            raise PricingTypeError(self.name(key), "must be a string")
        return value

    def optional_string(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is not None and not isinstance(value, str):
            raise PricingTypeError(self.name(key), "must be a string or null")
        return value

    def boolean(self, key: str) -> bool:
        value = self.get(key)
        if not isinstance(value, bool):
            raise PricingTypeError(self.name(key), "must be true or false")
        return value

    def decimal(self, key: str) -> Decimal:
        value = self.get(key)
        if not isinstance(value, str):
            raise PricingTypeError(self.name(key), "must be a decimal string")
        try:
            parsed = Decimal(value)
        except InvalidOperation:
            raise PricingError(self.name(key), f"'{value}' is not a decimal number") from None
        if not parsed.is_finite() or parsed < 0:
            raise PricingError(self.name(key), "must be a finite number >= 0")
        return parsed

    def items(self, key: str, *, required: bool = True) -> list[_Reader]:
        value = self.get(key) if required else self.data.get(key, [])
        if not isinstance(value, list):
            raise PricingTypeError(self.name(key), "must be a list")
        return [_Reader(item, f"{self.name(key)}[{i}]") for i, item in enumerate(value)]


def _line_from(obj: _Reader) -> PricedLine:
    quantity, unit_price = obj.amount("quantity"), obj.amount("unitPrice")
    proration = _fraction_from(obj)
    obj.signed = proration is not None
    return PricedLine(
        proration=proration,
        product_id=obj.string("productId"),
        quantity=quantity,
        unit_price=unit_price,
        subtotal=obj.amount("subtotal"),
        discount=obj.amount("discount"),
        tax_rule_id=obj.optional_string("taxRuleId"),
        tax_name=obj.optional_string("taxName"),
        tax_rate=obj.decimal("taxRate"),
        tax_inclusive=obj.boolean("taxInclusive"),
        tax=obj.amount("tax"),
        total=obj.amount("total"),
    )


def _trace_from(raw: Any) -> list[TraceStep]:
    """The trace, checked cheaply (a 1,000-line order has ~4,000 steps); a bad step is then re-read
    slowly by `_step_from` to name the wrong field. No trace (an event that left it out) is []."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise PricingTypeError("trace", "must be a list")
    steps = []
    for i, item in enumerate(raw):
        try:
            name, line, inputs = item["step"], item["line"], item["inputs"]
            exact, result, rounding = item["exact"], item["result"], item["rounding"]
        except (KeyError, TypeError):
            steps.append(_step_from(_Reader(item, f"trace[{i}]")))
            continue
        if (
            type(name) is not str
            or type(exact) is not str
            or type(rounding) is not str
            or type(result) is not int
            or (line is not None and type(line) is not int)
            or type(inputs) is not dict
            or not all(type(v) in _SCALARS for v in inputs.values())
        ):
            steps.append(_step_from(_Reader(item, f"trace[{i}]")))
            continue
        steps.append(TraceStep(name, line, dict(inputs), exact, result, rounding))
    return steps


_SCALARS = frozenset({str, int, bool, type(None)})


def _step_from(obj: _Reader) -> TraceStep:
    line = obj.data.get("line")
    if line is not None and (isinstance(line, bool) or not isinstance(line, int)):
        raise PricingTypeError(obj.name("line"), "must be a line index or null")
    inputs = obj.get("inputs")
    if not isinstance(inputs, dict) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str | int | bool)) for k, v in inputs.items()
    ):
        raise PricingTypeError(obj.name("inputs"), "must be an object of strings, integers and booleans")
    result = obj.get("result")
    if isinstance(result, bool) or not isinstance(result, int):
        raise PricingTypeError(obj.name("result"), "must be an integer")
    return TraceStep(
        step=obj.string("step"),
        line=line,
        inputs=dict(inputs),
        exact=obj.string("exact"),
        result=result,
        rounding=obj.string("rounding"),
    )


def _fraction_from(obj: _Reader) -> str | None:
    raw = obj.data.get("proration")
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise PricingTypeError(obj.name("proration"), "must be a fraction n/d")
    try:
        fraction = Fraction(raw)
    except (ValueError, ZeroDivisionError):
        raise PricingError(obj.name("proration"), "must be a fraction n/d") from None
    if not 0 <= fraction <= 1:
        raise PricingError(obj.name("proration"), "must lie within 0 and 1")
    return raw


def _expected_subtotal(line: PricedLine) -> int:
    """quantity x unitPrice, or for a proration line its signed share: +-round(q x p x f)."""
    whole = line.quantity * line.unit_price
    if line.proration is None:
        return whole
    share = whole * Fraction(line.proration)
    magnitude = half_up(ratio_str(share.numerator, share.denominator)[0])
    return -magnitude if line.subtotal < 0 else magnitude


def _check_sums(order: PricedOrder) -> None:
    for i, raw in enumerate(order.lines):
        where = f"lines[{i}]"
        if raw.subtotal != _expected_subtotal(raw):
            raise PricingError(f"{where}.subtotal", "is not quantity x unitPrice")
        # a credit line is a charge line negated: checked as its mirror image
        line = mirror(raw) if raw.subtotal < 0 else raw
        if min(line.discount, line.tax, line.total) < 0:
            raise PricingError(where, "a line's amounts all have the sign of its subtotal")
        if line.discount > line.subtotal:
            raise PricingError(f"{where}.discount", "exceeds the line's subtotal")
        expected = line.base if line.tax_inclusive else line.base + line.tax
        if line.total != expected or (line.tax_inclusive and line.tax > line.base):
            raise PricingError(f"{where}.total", "does not add up from subtotal, discount and tax")
    for name, total, part in (
        ("subtotal", order.subtotal, "subtotal"),
        ("discountTotal", order.discount_total, "discount"),
        ("taxTotal", order.tax_total, "tax"),
        ("total", order.total, "total"),
    ):
        if total != sum(getattr(line, part) for line in order.lines):
            raise PricingError(name, f"is not the sum of the lines' {part}")


def mirror(line: PricedLine) -> PricedLine:
    """The line with every figure negated: a credit line is the mirror of a charge line."""
    return line._replace(subtotal=-line.subtotal, discount=-line.discount, tax=-line.tax, total=-line.total)
