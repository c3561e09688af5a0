"""Which events of other services tell us about a customer's orders, payments and invoices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# event name -> (reference kind, field holding the referenced id)
REFERENCE_EVENTS: dict[str, tuple[str, str]] = {
    "OrderCreated": ("orders", "id"),
    "PaymentIntentCreated": ("payment_intents", "id"),
    "InvoiceCreated": ("invoices", "id"),
    "SubscriptionCreated": ("subscriptions", "id"),
}
KINDS = tuple(sorted({kind for kind, _ in REFERENCE_EVENTS.values()}))


@dataclass(frozen=True)
class Reference:
    customer_id: str
    kind: str
    ref_id: str


def reference_from(event_name: str, data: dict[str, Any]) -> Reference | None:
    """The reference an event implies, or None when it names no customer or no id."""
    spec = REFERENCE_EVENTS.get(event_name)
    if spec is None:
        return None
    kind, id_field = spec
    customer_id, ref_id = data.get("customerId"), data.get(id_field)
    if not isinstance(customer_id, str) or not isinstance(ref_id, str) or not customer_id or not ref_id:
        return None
    return Reference(customer_id, kind, ref_id)
