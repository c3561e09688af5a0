"""A subscription's change of items (products, quantities) within its period, and what it bills:
the proration rule's lines (`billing_shared.pricing.prorate`) priced by the pricing rule, invoiced
now, kept for the next renewal, or none at all. Pure: the caller loads the catalog's products and
the buyer's tax rule.

An item the subscription already holds keeps its unit price and tax (a quantity change does not
reprice the seats already sold); a product it did not hold comes at the catalog's price in the
subscription's currency, taxed by the rule that matches the buyer now. A trialing subscription
changes free of charge: the trial's period is not billed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from billing_shared.errors import FieldError, Problem
from billing_shared.events.domain import DomainEvent
from billing_shared.pricing import (
    CouponInput,
    LineTerms,
    PricedOrder,
    PricingError,
    ProrationItem,
    TaxRate,
    price_proration,
    prorate,
)
from billing_shared.pricing.model import plain
from invoicing.domain import subscriptions
from invoicing.domain.subscriptions import ACTIVE, PAST_DUE, TRIALING, Subscription

ALWAYS_INVOICE, CREATE_PRORATIONS, NONE = "always_invoice", "create_prorations", "none"
BEHAVIORS = (ALWAYS_INVOICE, CREATE_PRORATIONS, NONE)
CHANGEABLE = (TRIALING, ACTIVE, PAST_DUE)
MAX_ITEMS = 100


@dataclass(frozen=True)
class ItemRequest:
    product_id: str
    quantity: int


@dataclass(frozen=True)
class Change:
    """The subscription after the change, the proration lines priced (None when nothing is
    prorated) and whether they are to be invoiced now."""

    subscription: Subscription
    priced: PricedOrder | None
    invoice_now: bool
    previous_items: list[dict[str, Any]]


def _tax_of(item: dict[str, Any]) -> TaxRate | None:
    if item.get("taxRate") is None:
        return None
    return TaxRate(
        rule_id=item.get("taxRuleId"),
        name=item.get("taxName") or "",
        rate=Decimal(item["taxRate"]),
        inclusive=bool(item.get("taxInclusive")),
    )


def new_items(
    sub: Subscription,
    requested: list[ItemRequest],
    products: dict[str, dict[str, Any] | None],
    tax_for: Callable[[dict[str, Any]], TaxRate | None],
) -> list[dict[str, Any]]:
    """The items after the change, each refused (422 naming `items[i]...`) when it cannot be in
    this subscription: unknown, inactive, no price in its currency, another billing cycle."""
    errors: list[FieldError] = []
    if not requested:
        errors.append(FieldError("items", "A subscription keeps at least one item."))
    if len(requested) > MAX_ITEMS:
        errors.append(FieldError("items", f"At most {MAX_ITEMS} items."))
    held = {i["productId"]: i for i in sub.items}
    seen: set[str] = set()
    items: list[dict[str, Any]] = []
    for n, req in enumerate(requested):
        where = f"items[{n}]"
        if req.product_id in seen:
            errors.append(FieldError(f"{where}.productId", "Each product once; set its quantity."))
            continue
        seen.add(req.product_id)
        if req.product_id in held:
            items.append(held[req.product_id] | {"quantity": req.quantity})
            continue
        product = products.get(req.product_id)
        why = _refusal(sub, product, req.product_id)
        if why or product is None:
            errors.append(FieldError(f"{where}.productId", why or f"No product '{req.product_id}'."))
            continue
        price = next(p["unitPrice"] for p in product["prices"] if p["currency"] == sub.currency)
        tax = tax_for(product)
        items.append(
            {
                "productId": product["id"],
                "name": product.get("name"),
                "description": None,
                "quantity": req.quantity,
                "unitPrice": int(price),
                "taxRuleId": tax.rule_id if tax else None,
                "taxName": tax.name if tax else None,
                "taxRate": plain(tax.rate) if tax else None,
                "taxInclusive": tax.inclusive if tax else False,
            }
        )
    if errors:
        raise Problem(422, "The subscription's items cannot change so: check items.", errors=errors)
    return items


def _refusal(sub: Subscription, product: dict[str, Any] | None, product_id: str) -> str | None:
    if product is None:
        return f"No product '{product_id}'."
    if not product["active"]:
        return f"Product '{product_id}' is not active."
    if not any(p["currency"] == sub.currency for p in product["prices"]):
        return f"Product '{product_id}' has no price in {sub.currency}."
    if product.get("billingCycleId") != sub.billing_cycle_id:
        cycle = sub.billing_cycle_id
        return f"Product '{product_id}' does not renew on the subscription's billing cycle '{cycle}'."
    return None


def check_changeable(sub: Subscription, behavior: str, at: datetime) -> None:
    if sub.status not in CHANGEABLE or sub.cancel_at_period_end:
        raise subscriptions.refuse(sub, "its items cannot change.")
    if behavior not in BEHAVIORS:
        raise Problem(422, "Unknown prorationBehavior.", errors=[FieldError("prorationBehavior", "unknown")])
    if not sub.current_period_start <= at <= sub.current_period_end:
        s, e = sub.current_period_start.isoformat(), sub.current_period_end.isoformat()
        raise Problem(
            422,
            "The prorationDate must lie within the current period.",
            errors=[
                FieldError(
                    "prorationDate",
                    f"must lie within {s} and {e}",
                )
            ],
        )


def price_change(sub: Subscription, items: list[dict[str, Any]], at: datetime) -> PricedOrder | None:
    """The proration lines of going from the subscription's items to `items` at `at`, priced;
    None when the change prorates nothing (in a trial, or the same items)."""
    if sub.status == TRIALING or _same(sub.items, items):
        return None
    old = [ProrationItem(i["productId"], int(i["quantity"]), int(i["unitPrice"])) for i in sub.items]
    new = [ProrationItem(i["productId"], int(i["quantity"]), int(i["unitPrice"])) for i in items]
    try:
        proration = prorate(old, new, sub.current_period_start, sub.current_period_end, at)
    except PricingError as exc:
        raise Problem(422, exc.message, errors=[FieldError("prorationDate", exc.message)]) from None
    coupon = subscriptions.coupon_in_force(sub)
    only = set(coupon["productIds"]) if coupon and coupon.get("productIds") else None
    terms = [
        LineTerms(_tax_of(item), discountable=only is None or item["productId"] in only)
        for item in [*sub.items, *items]
    ]
    applied = None
    if coupon is not None and coupon.get("percentOff") is not None:
        applied = CouponInput(code=coupon["code"], percent_off=Decimal(coupon["percentOff"]))
    return price_proration(sub.currency, proration, terms, applied)


def change_texts(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The names of a change's lines: the old items' (credits), then the new items' (charges)."""
    return subscriptions.item_texts(old) + subscriptions.item_texts(new)


def _same(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    return subscriptions.public_items(a) == subscriptions.public_items(b)


def change(
    sub: Subscription, items: list[dict[str, Any]], *, behavior: str, at: datetime, now: datetime
) -> Change:
    """The subscription with `items` from now on. `always_invoice`: the lines are to be invoiced
    now; `create_prorations`: they wait for the next renewal; `none`: nothing is prorated (the new
    items are billed from the next period)."""
    check_changeable(sub, behavior, at)
    priced = None if behavior == NONE else price_change(sub, items, at)
    pending = list(sub.pending_prorations or [])
    if priced is not None and behavior == CREATE_PRORATIONS:
        pending.append(priced.to_dict() | {"lineTexts": change_texts(sub.items, items)})
    after = replace(
        sub,
        items=items,
        pending_prorations=pending or None,
        updated_at=now,
        version=sub.version + 1,
    )
    return Change(after, priced, priced is not None and behavior == ALWAYS_INVOICE, list(sub.items))


def changed_event(
    c: Change, *, behavior: str, at: datetime, invoice_id: str | None, now: datetime
) -> DomainEvent:
    return subscriptions.updated(
        c.subscription,
        "items",
        now,
        previousItems=subscriptions.public_items(c.previous_items),
        prorationBehavior=behavior,
        prorationDate=at.isoformat(),
        invoiceId=invoice_id,
    )
