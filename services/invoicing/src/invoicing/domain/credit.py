"""A customer's credit balance per currency (positive: owed to the customer) and its movements.

Credit comes from an invoice whose total is negative (a downgrade, a cancellation that credits the
unused time): it is not charged, it becomes credit. Credit goes on the customer's next invoices
that the platform charges itself (renewals and changes) before any charge: `amountDue = total -
creditApplied`. An order's invoice is paid by the client's own payment of the order, so credit
is not taken there. The balance is always the sum of its movements: each movement changes the
balance in the same transaction, under the balance row's lock. Pure: no SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from billing_shared.events.domain import DomainEvent

INVOICE_CREDIT = "invoice_credit"  # a negative invoice's total became credit
APPLIED_TO_INVOICE = "applied_to_invoice"  # credit used on an invoice before charging it
KINDS = (INVOICE_CREDIT, APPLIED_TO_INVOICE)


@dataclass(frozen=True)
class Movement:
    id: str
    customer_id: str
    currency: str
    amount: int  # + credit given to the customer, - credit used
    balance_after: int
    kind: str
    invoice_id: str | None
    subscription_id: str | None
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "customer_balance_transaction",
            "customerId": self.customer_id,
            "currency": self.currency,
            "amount": self.amount,
            "endingBalance": self.balance_after,
            "type": self.kind,
            "invoiceId": self.invoice_id,
            "subscriptionId": self.subscription_id,
            "createdAt": self.created_at.isoformat(),
        }


def changed(movement: Movement, version: int) -> DomainEvent:
    """CustomerBalanceChanged: the movement and the balance after it. `version` counts the
    movements of the (customer, currency) balance, so a projection keeps the highest it saw."""
    data = movement.to_json() | {"version": version}
    del data["object"]
    return DomainEvent("CustomerBalanceChanged", movement.customer_id, data)
