"""Invoices as payments knows them: a projection of invoicing's InvoiceFinalized / InvoicePaid /
InvoiceVoided / InvoiceMarkedUncollectible, enough to check a payment of an open invoice (what is
due, in which currency, whose it is) without ever asking the invoicing service."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from billing_shared.errors import FieldError, Problem

OPEN, PAID, VOID, UNCOLLECTIBLE = "open", "paid", "void", "uncollectible"
_STATUS_OF = {
    "InvoiceFinalized": OPEN,
    "InvoicePaid": PAID,
    "InvoiceVoided": VOID,
    "InvoiceMarkedUncollectible": UNCOLLECTIBLE,
}
# An invoice never goes back to open: events may be replayed or arrive late.
_RANK = {OPEN: 0, UNCOLLECTIBLE: 1, PAID: 2, VOID: 2}


@dataclass(frozen=True)
class InvoiceView:
    id: str
    customer_id: str
    order_id: str | None  # an order's invoice: paying it pays the order
    subscription_id: str | None
    currency: str
    amount_due: int
    status: str


def from_event(name: str, data: dict[str, Any], known: InvoiceView | None) -> InvoiceView | None:
    """The projection after an invoicing event; None when there is nothing to keep (a draft, or
    an event of an invoice never finalized here)."""
    status = _STATUS_OF.get(name)
    if status is None:
        return known
    if known is None:
        return InvoiceView(
            id=data["id"],
            customer_id=data["customerId"],
            order_id=data.get("orderId"),
            subscription_id=data.get("subscriptionId"),
            currency=data["currency"],
            amount_due=int(data["amountDue"] if "amountDue" in data else data["total"]),
            status=status,
        )
    if _RANK[status] <= _RANK[known.status]:
        return known
    return replace(known, status=status)


def check_payable(invoice: InvoiceView, *, amount: int, currency: str) -> None:
    """Only an open invoice is paid, for exactly what is due in its currency; each refusal is a
    422 naming the field to fix, before any provider hears of it."""
    if invoice.status != OPEN:
        raise Problem(
            422,
            f"Invoice '{invoice.id}' is {invoice.status}: only an open invoice can be paid.",
            errors=[FieldError("invoiceId", f"invoice is {invoice.status}")],
        )
    errors = []
    if currency != invoice.currency:
        errors.append(FieldError("currency", f"must be the invoice's currency, {invoice.currency}"))
    if amount != invoice.amount_due:
        errors.append(FieldError("amount", f"must equal the amount due, {invoice.amount_due} (minor units)"))
    if errors:
        names = " and ".join(e.field for e in errors)
        raise Problem(422, f"The {names} must match invoice '{invoice.id}'.", errors=errors)


def unknown_invoice(invoice_id: str) -> Problem:
    """Not finalized (a draft is not due yet), unknown, or another customer's: one answer."""
    return Problem(
        422, f"No open invoice '{invoice_id}'.", errors=[FieldError("invoiceId", "unknown invoice")]
    )
