"""Orders as payments knows them: a projection of OrderCreated / OrderPaid / OrderCancelled, enough
to check an intent's amount and currency without ever asking the orders service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from billing_shared.errors import FieldError, Problem

DRAFT, PAID, CANCELLED = "draft", "paid", "cancelled"
# A later status never goes back to an earlier one: events may be replayed.
_RANK = {DRAFT: 0, PAID: 1, CANCELLED: 1}


@dataclass(frozen=True)
class OrderView:
    id: str
    customer_id: str
    currency: str
    total: int
    status: str


def from_event(name: str, data: dict[str, Any], known: OrderView | None) -> OrderView | None:
    """The projection after an orders event; None when the event tells us nothing to keep (an
    OrderCancelled for an order never seen carries no amount to check against)."""
    if name == "OrderCreated":
        if known is not None:
            return known
        return OrderView(data["id"], data["customerId"], data["currency"], int(data["total"]), DRAFT)
    status = PAID if name == "OrderPaid" else CANCELLED if name == "OrderCancelled" else None
    if status is None:
        return known
    if known is None:
        if name != "OrderPaid":
            return None
        return OrderView(data["id"], data["customerId"], data["currency"], int(data["total"]), PAID)
    if _RANK[status] <= _RANK[known.status]:
        return known
    return OrderView(known.id, known.customer_id, known.currency, known.total, status)


def unknown_order(order_id: str) -> Problem:
    """An order payments has not heard of (or another customer's: the same answer, so a customer
    token cannot tell the two apart)."""
    return Problem(422, f"No order '{order_id}'.", errors=[FieldError("orderId", "unknown order")])
