"""From an order request and the catalog to the pricing rule's inputs, refusing what cannot be sold.

Pure: the caller loads the catalog records; every refusal names the request field to fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from billing_shared.errors import FieldError, Problem, invalid_fields
from billing_shared.pricing import (
    CouponInput,
    LineInput,
    PricedOrder,
    PricingError,
    TaxRuleCandidate,
    match_tax_rule,
    price_order,
)
from orders.domain import coupons as coupon_rules
from orders.domain.catalog import BillingCycle, Coupon, Currency, Product, TaxRule

MAX_LINES = 1000
# Amounts are stored as 64-bit integers everywhere (orders, payments, invoices): an order beyond
# that is refused here, as a 422, instead of failing in the database.
MAX_STORABLE_AMOUNT = 2**63 - 1


@dataclass(frozen=True)
class Item:
    product_id: str
    quantity: int
    unit_price: int | None  # a client may name the price it expects; the catalog's wins


@dataclass(frozen=True)
class Buyer:
    customer_id: str
    country: str | None
    region: str | None


def refuse(errors: list[FieldError]) -> Problem:
    names = ", ".join(dict.fromkeys(e.field for e in errors))
    return Problem(422, f"The order cannot be priced: check {names}.", errors=errors)


def price(
    *,
    items: list[Item],
    currency: Currency | None,
    currency_code: str,
    products: dict[str, Product],
    buyer: Buyer,
    tax_rules: list[TaxRule],
    billing_cycle_id: str | None,
    billing_cycle: BillingCycle | None,
    coupon_code: str | None,
    coupon: Coupon | None,
    may_override_price: bool,
    now: datetime,
) -> PricedOrder:
    errors: list[FieldError] = []
    if currency is None:
        errors.append(FieldError("currency", f"'{currency_code}' is not a known currency."))
    elif not currency.enabled:
        errors.append(FieldError("currency", f"{currency_code} is not enabled for orders."))
    if billing_cycle_id is not None and billing_cycle is None:
        errors.append(FieldError("billingCycleId", f"No billing cycle '{billing_cycle_id}'."))
    if not items:
        errors.append(FieldError("items", "An order needs at least one item."))
    if len(items) > MAX_LINES:
        errors.append(FieldError("items", f"At most {MAX_LINES} lines per order."))
    if errors:
        raise refuse(errors)

    candidates = [
        TaxRuleCandidate(
            rule_id=r.id,
            name=r.name,
            country=r.country,
            rate=r.rate,
            inclusive=r.inclusive,
            region=r.region,
            tax_category=r.tax_category,
            valid_from=r.valid_from,
            valid_to=r.valid_to,
        )
        for r in tax_rules
    ]
    lines: list[LineInput] = []
    for i, item in enumerate(items):
        where = f"items[{i}]"
        product = products.get(item.product_id)
        if product is None:
            errors.append(FieldError(f"{where}.productId", f"No product '{item.product_id}'."))
            continue
        if not product.active:
            errors.append(FieldError(f"{where}.productId", f"Product '{product.id}' is not active."))
            continue
        catalog_price = product.prices.get(currency_code)
        if catalog_price is None:
            errors.append(
                FieldError(f"{where}.productId", f"Product '{product.id}' has no price in {currency_code}.")
            )
            continue
        if product.recurring and billing_cycle_id is None:
            errors.append(
                FieldError("billingCycleId", f"Product '{product.id}' is recurring: name its billing cycle.")
            )
        elif product.recurring and product.billing_cycle_id != billing_cycle_id:
            errors.append(
                FieldError(
                    "billingCycleId", f"Product '{product.id}' renews on '{product.billing_cycle_id}'."
                )
            )
        unit_price = catalog_price
        if item.unit_price is not None and item.unit_price != catalog_price:
            if not may_override_price:
                errors.append(
                    FieldError(
                        f"{where}.unitPrice",
                        f"The price of '{product.id}' in {currency_code} is {catalog_price}, "
                        f"not {item.unit_price}; omit unitPrice to use the catalog price.",
                    )
                )
                continue
            unit_price = item.unit_price
        rule = (
            match_tax_rule(
                candidates,
                country=buyer.country or "",
                region=buyer.region,
                tax_category=product.tax_category,
                at=now,
            )
            if buyer.country
            else None
        )
        lines.append(
            LineInput(
                product_id=product.id,
                quantity=item.quantity,
                unit_price=unit_price,
                tax=rule.tax_rate() if rule else None,
                discountable=coupon is None or coupon_rules.applies_to(coupon, product.id),
            )
        )

    coupon_input: CouponInput | None = None
    if coupon_code is not None:
        why = coupon_rules.refusal(
            coupon, currency=currency_code, product_ids=[i.product_id for i in items], now=now
        )
        if why:
            errors.append(FieldError("couponCode", f"Coupon '{coupon_code}' cannot be used: {why}."))
        elif coupon is not None:
            coupon_input = coupon_rules.pricing_input(coupon)
    if errors:
        raise refuse(errors)
    try:
        priced = price_order(currency_code, lines, coupon_input)
    except PricingError as exc:
        raise refuse([FieldError(_request_field(exc.field), exc.message)]) from None
    if max(priced.subtotal, priced.total) > MAX_STORABLE_AMOUNT:
        raise refuse([FieldError("items", f"The order's amounts exceed {MAX_STORABLE_AMOUNT} minor units.")])
    return priced


def _request_field(pricing_field: str) -> str:
    """The pricing rule names its own inputs (`lines[2].quantity`); the request calls them items."""
    return pricing_field.replace("lines[", "items[").replace("unit_price", "unitPrice")


def quote_lines(
    items: list[Item], products: dict[str, Product], currency: str, coupon: Coupon | None
) -> list[LineInput]:
    """The order lines these items make, at catalog prices, refused as an order would refuse them.
    No tax: a coupon applies before tax, so tax does not change the discount."""
    errors: list[FieldError] = []
    lines: list[LineInput] = []
    for i, item in enumerate(items):
        product = products.get(item.product_id)
        where = f"items[{i}].productId"
        if product is None:
            errors.append(FieldError(where, f"No product '{item.product_id}'."))
        elif not product.active:
            errors.append(FieldError(where, f"Product '{product.id}' is not active."))
        elif currency not in product.prices:
            errors.append(FieldError(where, f"Product '{product.id}' has no price in {currency}."))
        else:
            lines.append(
                LineInput(
                    product_id=product.id,
                    quantity=item.quantity,
                    unit_price=product.prices[currency],
                    tax=None,
                    discountable=coupon is None or coupon_rules.applies_to(coupon, product.id),
                )
            )
    if errors:
        raise invalid_fields(errors)
    return lines
