"""One-off charges (InvoiceItems): pending until an invoice takes them (the customer's next renewal
in their currency, or a manual invoice made now), then invoiced on exactly that one invoice. Pure:
no Flask, no SQL.

An item is priced when an invoice takes it, by the platform's one pricing rule
(`billing_shared.pricing.price_order`) with the tax rule of the buyer's place and the item's tax
category at that moment; the item's id stands in a line's `productId`, its description is the
line's name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from billing_shared.errors import FieldError, Problem
from billing_shared.pricing import LineInput, PricedOrder, TaxRate, price_order

PENDING, INVOICED, DELETED = "pending", "invoiced", "deleted"
STATUSES = (PENDING, INVOICED, DELETED)
MAX_AMOUNT = 10**15  # minor units: one item's quantity x unitPrice (an order line's price bound)
MAX_LINES = 1000  # items one invoice takes (an order's line limit); the rest wait for the next
MAX_STORABLE_AMOUNT = 2**63 - 1  # amounts are 64-bit integers in every service's tables

# The rate of a tax category for the buyer (None: no rule matches, no tax).
TaxFor = Callable[[str | None], TaxRate | None]


@dataclass(frozen=True)
class InvoiceItem:
    id: str
    customer_id: str
    description: str
    quantity: int
    unit_price: int  # minor units of `currency`
    currency: str
    tax_category: str | None
    status: str
    created_at: datetime
    updated_at: datetime
    invoice_id: str | None = None  # the invoice that took it (invoiced only)
    version: int = 1

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_price

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "customerId": self.customer_id,
            "description": self.description,
            "quantity": self.quantity,
            "unitPrice": self.unit_price,
            "amount": self.amount,
            "currency": self.currency,
            "taxCategory": self.tax_category,
            "status": self.status,
            "invoiceId": self.invoice_id,
            "version": self.version,
            "createdAt": self.created_at.isoformat(),
            "updatedAt": self.updated_at.isoformat(),
        }


@dataclass(frozen=True)
class Priced:
    """Items priced for one invoice: their lines (with the trace) and each line's name."""

    priced: PricedOrder
    texts: list[dict[str, Any]]
    item_ids: list[str]


def create(
    *,
    item_id: str,
    customer_id: str,
    description: str,
    currency: str,
    quantity: int,
    unit_price: int,
    tax_category: str | None,
    now: datetime,
) -> InvoiceItem:
    return InvoiceItem(
        id=item_id,
        customer_id=customer_id,
        description=description,
        quantity=quantity,
        unit_price=unit_price,
        currency=currency,
        tax_category=tax_category,
        status=PENDING,
        created_at=now,
        updated_at=now,
    )


def delete(item: InvoiceItem, now: datetime) -> InvoiceItem:
    """A pending item is withdrawn (deleting it again changes nothing); one an invoice took is part
    of that invoice: 409."""
    if item.status == DELETED:
        return item
    if item.status != PENDING:
        raise Problem(
            409,
            f"Invoice item '{item.id}' cannot be deleted: it is on invoice '{item.invoice_id}'.",
            extra={"itemStatus": item.status, "invoiceId": item.invoice_id},
        )
    return replace(item, status=DELETED, updated_at=now, version=item.version + 1)


def choose(pending: Sequence[InvoiceItem], currency: str | None) -> list[InvoiceItem]:
    """The pending items a manual invoice takes: all of them in `currency`, or in their one currency
    when none is asked for. Nothing to invoice, or several currencies and none chosen, is a 422."""
    currencies = sorted({i.currency for i in pending})
    if currency is None and len(currencies) > 1:
        raise Problem(
            422,
            f"The customer's pending items are in {', '.join(currencies)}; an invoice has one currency.",
            errors=[FieldError("currency", f"required: one of {', '.join(currencies)}")],
        )
    wanted = currency or (currencies[0] if currencies else None)
    chosen = [i for i in pending if i.currency == wanted][:MAX_LINES]
    if not chosen:
        where = f" in {currency}" if currency else ""
        raise Problem(
            422,
            f"The customer has no pending invoice items{where} to invoice; add some with POST /InvoiceItems.",
            errors=[FieldError("currency" if currency else "customerId", f"no pending invoice items{where}")],
        )
    return chosen


def price(items: Sequence[InvoiceItem], tax_for: TaxFor) -> Priced:
    """The items as an invoice's lines, in their order, by the pricing rule (no coupon: a coupon
    belongs to an order or a subscription's periods, not to one-off charges)."""
    assert items and len({i.currency for i in items}) == 1
    lines = [LineInput(i.id, i.quantity, i.unit_price, tax_for(i.tax_category)) for i in items]
    priced = price_order(items[0].currency, lines)
    if max(priced.subtotal, priced.total) > MAX_STORABLE_AMOUNT:
        raise Problem(
            422,
            f"These items add up to more than {MAX_STORABLE_AMOUNT} minor units, beyond one invoice.",
            errors=[FieldError("currency", "the pending items' sum is too large for one invoice")],
        )
    return Priced(
        priced=priced,
        texts=[{"name": i.description, "description": None} for i in items],
        item_ids=[i.id for i in items],
    )
