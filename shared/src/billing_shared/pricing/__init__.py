"""Pricing: the platform's one pricing rule, pure Python on integer minor units (docs/money.md).

orders prices every order with `price_order`; invoicing rebuilds the result with
`PricedOrder.from_dict` and copies it to the cent, never recomputing it.
"""

from .engine import price_order
from .errors import PricingError, PricingTypeError
from .model import CouponInput, LineInput, PricedLine, PricedOrder, TaxRate, TraceStep
from .prorated import LineTerms, combine, price_proration
from .proration import Proration, ProrationItem, ProrationLine, fraction_left, prorate
from .rules import TaxRuleCandidate, match_tax_rule

__all__ = [
    "CouponInput",
    "LineInput",
    "LineTerms",
    "PricedLine",
    "PricedOrder",
    "PricingError",
    "PricingTypeError",
    "Proration",
    "ProrationItem",
    "ProrationLine",
    "TaxRate",
    "TaxRuleCandidate",
    "TraceStep",
    "combine",
    "fraction_left",
    "match_tax_rule",
    "price_order",
    "price_proration",
    "prorate",
]
