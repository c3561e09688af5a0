"""One row per billed period of a subscription (its renewal invoice), and one per change invoiced
at once (`reason` subscription_update, from the change's moment to the period's end): the charge
attempts and the dunning schedule. Pure: no Flask, no SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

PENDING = "pending"  # a charge was requested; its answer has not come yet
PAID = "paid"
PAST_DUE = "past_due"  # the last charge failed; `next_attempt_at` says when dunning retries
UNCOLLECTIBLE = "uncollectible"  # dunning gave up
NO_PAYMENT_METHOD = "requires_payment_method"  # nothing saved to charge: waits for one
HISTORY_STATUSES = (PENDING, PAID, PAST_DUE, UNCOLLECTIBLE, NO_PAYMENT_METHOD)


@dataclass(frozen=True)
class BillingHistory:
    id: str
    subscription_id: str
    customer_id: str
    period_start: datetime
    period_end: datetime
    invoice_id: str
    status: str
    attempts: int
    created_at: datetime
    updated_at: datetime
    payment_intent_id: str | None = None
    next_attempt_at: datetime | None = None
    failure_code: str | None = None
    reason: str = "subscription_cycle"  # or "subscription_update": the invoice's billing reason
