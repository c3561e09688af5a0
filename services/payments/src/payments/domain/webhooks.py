"""What a verified webhook delivery does to an intent. Every rule here is safe to apply again and
in any order: a repeated delivery, or one older than the state already recorded, changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from billing_shared.events.domain import DomainEvent
from payments.domain import intents, refunds
from payments.domain.intents import PaymentIntent
from payments.domain.payment_provider import (
    WEBHOOK_DISPUTE_CREATED,
    WEBHOOK_PAYMENT_FAILED,
    WEBHOOK_PAYMENT_SUCCEEDED,
    WEBHOOK_REFUNDED,
    WebhookEvent,
)
from payments.domain.refunds import Refund


@dataclass(frozen=True)
class Effect:
    intent: PaymentIntent
    refunds: list[Refund] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.events or self.refunds)


def apply(
    intent: PaymentIntent,
    event: WebhookEvent,
    *,
    pending_refunds: list[Refund],
    new_refund_id: str,
    now: datetime,
) -> Effect:
    if event.kind in (WEBHOOK_PAYMENT_SUCCEEDED, WEBHOOK_PAYMENT_FAILED):
        after, events = intents.apply_payment_outcome(
            intent,
            succeeded=event.kind == WEBHOOK_PAYMENT_SUCCEEDED,
            failure_code=event.failure_code,
            failure_message=event.failure_message,
            now=now,
        )
        return Effect(after, [], events)
    if event.kind == WEBHOOK_REFUNDED and event.amount is not None:
        changed, after, events = refunds.provider_refunded(
            intent, pending_refunds, total_at_provider=event.amount, new_refund_id=new_refund_id, now=now
        )
        return Effect(after, changed, events)
    if event.kind == WEBHOOK_DISPUTE_CREATED:
        after, events = intents.mark_disputed(intent, event.amount, now)
        return Effect(after, [], events)
    return Effect(intent)


@dataclass(frozen=True)
class Receipt:
    """What the gateway is told of one delivery."""

    duplicate: bool = False  # this provider event was received before: nothing more is done
    applied: bool = False  # it changed the intent
    payment_intent_id: str | None = None  # the intent it was applied to
    # No intent holds its reference yet (it outran the create call's answer): it is kept, and
    # applied as soon as that answer is recorded.
    held: bool = False
