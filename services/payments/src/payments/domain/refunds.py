"""Refunds: full or partial, never more than is left.

A refund reserves its amount the moment it is created (status `pending`), before the provider is
called, so two refunds racing each other can never together give back more than was paid. It
counts in the intent's `amount_refunded` (and raises PaymentRefunded) once the provider confirms.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from billing_shared.errors import FieldError, Problem
from billing_shared.events.domain import DomainEvent
from payments.domain.commands import CreateRefund
from payments.domain.intents import EVENT_VERSION, PaymentIntent

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"
STATUSES = (PENDING, SUCCEEDED, FAILED)
REASONS = ("requested_by_customer", "duplicate", "fraudulent")


@dataclass(frozen=True)
class Refund:
    id: str
    payment_intent_id: str
    order_id: str | None  # None for a refund of a renewal invoice's charge
    customer_id: str
    amount: int
    currency: str
    status: str
    reason: str
    client_id: str
    created_at: datetime
    updated_at: datetime
    gateway_reference: str | None = None
    failure_message: str | None = None
    provider_pending: bool = True
    idempotency_key: str | None = None

    def made_for(self, cmd: CreateRefund) -> bool:
        """Whether this refund is what `cmd` asks for: a retry under the same Idempotency-Key must
        be the same request (all that is left, asked again, is the amount first refunded)."""
        return (self.payment_intent_id, self.reason) == (cmd.payment_intent_id, cmd.reason) and (
            cmd.amount in (None, self.amount)
        )


def unknown_intent(intent_id: str) -> Problem:
    """A refund of a payment intent that does not exist (or that the caller may not see)."""
    return Problem(
        422,
        f"No payment intent '{intent_id}'.",
        errors=[FieldError("paymentIntentId", "unknown payment intent")],
    )


def check_refund(intent: PaymentIntent, *, amount: int | None, in_flight: int) -> int:
    """The amount to refund (all that is left when none is given), or a 422 saying what is left."""
    if intent.status != "succeeded":
        raise Problem(
            422,
            f"Payment intent '{intent.id}' is {intent.status}; only a succeeded payment can be refunded.",
            errors=[FieldError("paymentIntentId", f"not succeeded ({intent.status})")],
        )
    left = intent.amount - intent.amount_refunded - in_flight
    if left <= 0:
        raise Problem(
            422,
            f"Payment intent '{intent.id}' has nothing left to refund.",
            errors=[FieldError("paymentIntentId", "fully refunded")],
        )
    wanted = left if amount is None else amount
    if wanted > left:
        raise Problem(
            422,
            f"At most {left} (minor units) is left to refund on payment intent '{intent.id}'.",
            errors=[FieldError("amount", f"must be at most {left}")],
            extra={"refundable": left},
        )
    return wanted


def create(
    *,
    refund_id: str,
    intent: PaymentIntent,
    amount: int,
    reason: str,
    client_id: str,
    idempotency_key: str | None,
    now: datetime,
) -> Refund:
    return Refund(
        id=refund_id,
        payment_intent_id=intent.id,
        order_id=intent.order_id,
        customer_id=intent.customer_id,
        amount=amount,
        currency=intent.currency,
        status=PENDING,
        reason=reason,
        client_id=client_id,
        idempotency_key=idempotency_key,
        created_at=now,
        updated_at=now,
    )


def settle(
    refund: Refund,
    intent: PaymentIntent,
    *,
    status: str,
    reference: str | None,
    message: str | None,
    now: datetime,
) -> tuple[Refund, PaymentIntent, list[DomainEvent]]:
    """The provider's answer for a refund. Only a pending refund moves; a succeeded one adds to the
    intent's refunded amount and raises PaymentRefunded with the total refunded so far."""
    if refund.status != PENDING:
        return refund, intent, []
    after = replace(
        refund,
        status=status,
        gateway_reference=reference or refund.gateway_reference,
        failure_message=(message or "The gateway refused the refund.")[:500] if status == FAILED else None,
        provider_pending=status == PENDING and reference is None,
        updated_at=now,
    )
    if status != SUCCEEDED:
        return after, intent, []
    paid_back = replace(
        intent,
        amount_refunded=intent.amount_refunded + refund.amount,
        updated_at=now,
        version=intent.version + 1,
    )
    return after, paid_back, [refunded_event(paid_back, after)]


def refunded_event(intent: PaymentIntent, refund: Refund) -> DomainEvent:
    data = {
        "id": intent.id,
        "orderId": intent.order_id,
        "customerId": intent.customer_id,
        "refundId": refund.id,
        "amount": refund.amount,
        "amountRefunded": intent.amount_refunded,
        "currency": intent.currency,
    } | intent.links()
    return DomainEvent("PaymentRefunded", intent.id, data, version=EVENT_VERSION)


def provider_refunded(
    intent: PaymentIntent, pending: list[Refund], *, total_at_provider: int, new_refund_id: str, now: datetime
) -> tuple[list[Refund], PaymentIntent, list[DomainEvent]]:
    """A verified webhook saying the provider has refunded `total_at_provider` in all on this payment.

    Ours in flight are confirmed first (oldest first); what is left over was refunded outside our
    API (say, the provider's dashboard) and is recorded as a refund of its own. Cumulative, so a
    repeated or late delivery (a smaller total) changes nothing.
    """
    gap = min(total_at_provider, intent.amount) - intent.amount_refunded
    changed: list[Refund] = []
    events: list[DomainEvent] = []
    for r in sorted(pending, key=lambda r: r.created_at):
        if gap <= 0 or r.status != PENDING or r.amount > gap:
            continue
        done, intent, evs = settle(
            r, intent, status=SUCCEEDED, reference=r.gateway_reference, message=None, now=now
        )
        changed.append(done)
        events += evs
        gap -= r.amount
    if gap > 0:
        outside = replace(
            create(
                refund_id=new_refund_id,
                intent=intent,
                amount=gap,
                reason="requested_by_customer",
                client_id="gateway",
                idempotency_key=None,
                now=now,
            ),
            provider_pending=False,
        )
        done, intent, evs = settle(outside, intent, status=SUCCEEDED, reference=None, message=None, now=now)
        changed.append(done)
        events += evs
    return changed, intent, events
