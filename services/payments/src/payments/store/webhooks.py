"""Received webhook deliveries: one row per provider event id, so a delivery applies once, and the
intent it was applied to, so one that outran its intent is found when the intent is."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billing_shared.db.records import record
from payments.domain.payment_provider import WebhookEvent
from payments.store.tables import payment_intents, webhook_events


class WebhookLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def first_delivery(self, gateway_id: str, event: WebhookEvent, now: datetime) -> bool:
        """Record the delivery; False when this provider event was received before. Inside a
        savepoint, so a concurrent delivery of the same event (which waits on the unique key and
        then fails) leaves the caller's transaction usable."""
        try:
            with self.session.begin_nested():
                self.session.execute(
                    insert(webhook_events).values(
                        gateway_id=gateway_id,
                        event_id=event.event_id,
                        kind=event.kind,
                        raw_type=event.raw_type[:100],
                        reference=event.reference,
                        amount=event.amount,
                        failure_code=event.failure_code,
                        failure_message=(event.failure_message or "")[:500] or None,
                        created=event.created,
                        received_at=now,
                    )
                )
        except IntegrityError:
            return False
        return True

    def mark_applied(self, gateway_id: str, event_id: str, intent_id: str) -> None:
        self.session.execute(
            update(webhook_events)
            .where(webhook_events.c.gateway_id == gateway_id, webhook_events.c.event_id == event_id)
            .values(payment_intent_id=intent_id)
        )

    def stranded(self, limit: int) -> list[tuple[str, str, str]]:
        """(gateway, event id, reference) of unapplied deliveries whose reference an intent now holds."""
        rows = self.session.execute(
            select(webhook_events.c.gateway_id, webhook_events.c.event_id, webhook_events.c.reference)
            .join(
                payment_intents,
                and_(
                    payment_intents.c.gateway_id == webhook_events.c.gateway_id,
                    payment_intents.c.gateway_reference == webhook_events.c.reference,
                ),
            )
            .where(webhook_events.c.payment_intent_id.is_(None))
            .order_by(webhook_events.c.created, webhook_events.c.received_at)
            .limit(limit)
        )
        return [(r.gateway_id, r.event_id, r.reference) for r in rows]

    def unapplied(self, gateway_id: str, event_id: str) -> WebhookEvent | None:
        row = self.session.execute(
            select(webhook_events)
            .where(*_waiting(gateway_id), webhook_events.c.event_id == event_id)
            .with_for_update()
        ).first()
        return _event(row) if row else None

    def unmatched(self, gateway_id: str, reference: str) -> list[WebhookEvent]:
        """Deliveries for `reference` received before any intent held it, oldest first."""
        rows = self.session.execute(
            select(webhook_events)
            .where(*_waiting(gateway_id), webhook_events.c.reference == reference)
            .order_by(webhook_events.c.created, webhook_events.c.received_at)
            .with_for_update()
        )
        return [_event(r) for r in rows]


def _event(r: Any) -> WebhookEvent:
    return record(WebhookEvent, r)


def _waiting(gateway_id: str) -> tuple[ColumnElement[bool], ...]:
    """A gateway's deliveries not applied to an intent yet."""
    return (webhook_events.c.gateway_id == gateway_id, webhook_events.c.payment_intent_id.is_(None))
