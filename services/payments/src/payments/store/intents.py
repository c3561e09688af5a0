"""Reads and writes of payment intents, including the claim that keeps an intent's provider call
from being driven by two processes at once (`payments.store.provider_claims`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billing_shared.db.records import record, row_values
from billing_shared.db.repository import filtered_page, first, save_versioned
from billing_shared.paging import Page, PageRequest
from payments.domain.intents import NextActionView, PaymentIntent
from payments.store import provider_claims
from payments.store.tables import LIVE_STATUSES, payment_intents


class IntentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _from_row(row: Any) -> PaymentIntent:
        na = row.next_action
        return record(
            PaymentIntent,
            row,
            next_action=NextActionView(na["type"], na["url"]) if na else None,
            off_session=bool(row.off_session),
        )

    @staticmethod
    def _values(i: PaymentIntent) -> dict[str, Any]:
        """Every column but the provider call's claim, which `provider_claims` owns."""
        na = i.next_action
        return row_values(
            i,
            payment_intents,
            skip=provider_claims.CLAIM_COLUMNS,
            next_action={"type": na.type, "url": na.url} if na else None,
        )

    def add(self, intent: PaymentIntent, *, calling_since: datetime | None) -> None:
        """Insert a new intent; `calling_since` claims its first provider call at once."""
        self.session.execute(
            insert(payment_intents).values(
                **self._values(intent), provider_call_at=calling_since, provider_attempts=0
            )
        )

    def get(self, intent_id: str, *, for_update: bool = False) -> PaymentIntent | None:
        return first(
            self.session,
            select(payment_intents).where(payment_intents.c.id == intent_id),
            self._from_row,
            for_update=for_update,
        )

    def by_reference(
        self, gateway_id: str, reference: str, *, for_update: bool = False
    ) -> PaymentIntent | None:
        return first(
            self.session,
            select(payment_intents).where(
                payment_intents.c.gateway_id == gateway_id, payment_intents.c.gateway_reference == reference
            ),
            self._from_row,
            for_update=for_update,
        )

    def by_references(self, gateway_id: str, references: list[str]) -> dict[str, PaymentIntent]:
        found: dict[str, PaymentIntent] = {}
        for start in range(0, len(references), 500):
            chunk = references[start : start + 500]
            rows = self.session.execute(
                select(payment_intents).where(
                    payment_intents.c.gateway_id == gateway_id, payment_intents.c.gateway_reference.in_(chunk)
                )
            )
            for r in rows:
                found[r.gateway_reference] = self._from_row(r)
        return found

    def by_request_key(self, client_id: str, key: str, *, since: datetime) -> PaymentIntent | None:
        """The intent a client's Idempotency-Key created (within the key's lifetime)."""
        row = self.session.execute(
            select(payment_intents)
            .where(
                payment_intents.c.client_id == client_id,
                payment_intents.c.idempotency_key == key,
                payment_intents.c.created_at >= since,
            )
            .order_by(payment_intents.c.created_at.desc())
            .limit(1)
        ).first()
        return self._from_row(row) if row else None

    def for_invoice_attempt(self, invoice_id: str, attempt: int) -> PaymentIntent | None:
        row = self.session.execute(
            select(payment_intents).where(
                payment_intents.c.invoice_id == invoice_id, payment_intents.c.attempt == attempt
            )
        ).first()
        return self._from_row(row) if row else None

    def add_unless_invoice_attempt_exists(self, intent: PaymentIntent) -> bool:
        """Insert a renewal intent unless its (invoice, attempt) has one already: False then. The
        unique index decides, in a savepoint, so a concurrent duplicate loses without aborting the
        caller's transaction. Its provider call is not claimed: the worker makes it (never_called)."""
        if intent.invoice_id is None or intent.attempt is None:
            raise ValueError("a renewal intent names its invoice and attempt")
        if self.for_invoice_attempt(intent.invoice_id, intent.attempt) is not None:
            return False
        try:
            with self.session.begin_nested():
                self.add(intent, calling_since=None)
        except IntegrityError:
            return False
        return True

    def never_called(self, *, limit: int) -> list[str]:
        """Off-session intents recorded and never sent to the provider: due at once."""
        rows = self.session.execute(
            select(payment_intents.c.id)
            .where(
                payment_intents.c.provider_pending.is_(True),
                payment_intents.c.off_session.is_(True),
                payment_intents.c.provider_call_at.is_(None),
                payment_intents.c.provider_attempts == 0,
            )
            .order_by(payment_intents.c.id)
            .limit(limit)
        )
        return [r.id for r in rows]

    def live_holding(self, order_id: str | None, invoice_id: str | None) -> PaymentIntent | None:
        """The live intent that holds the order or the invoice, if one does."""
        held = [payment_intents.c.order_id == order_id] if order_id else []
        held += [payment_intents.c.invoice_id == invoice_id] if invoice_id else []
        row = self.session.execute(
            select(payment_intents).where(or_(*held), payment_intents.c.status.in_(LIVE_STATUSES)).limit(1)
        ).first()
        return self._from_row(row) if row else None

    def save(self, intent: PaymentIntent, expected_version: int, *, call_done: bool = False) -> None:
        """Write on the condition that no other writer saved a newer version first (ConcurrentChange
        otherwise). `call_done` also clears the claim of the provider call whose answer this is."""
        values = self._values(intent)
        if call_done:
            values["provider_call_at"] = None
        save_versioned(
            self.session, payment_intents, intent.id, expected_version, values, kind="payment intent"
        )

    def claim_call(
        self, intent_id: str, *, now: datetime, stale_before: datetime, idle_before: datetime
    ) -> bool:
        return provider_claims.claim(
            self.session,
            payment_intents,
            intent_id,
            now=now,
            stale_before=stale_before,
            idle_before=idle_before,
        )

    def release_call(self, intent_id: str, now: datetime) -> None:
        provider_claims.release(self.session, payment_intents, intent_id, now)

    def waiting_for_provider(self, *, stale_before: datetime, idle_before: datetime, limit: int) -> list[str]:
        return provider_claims.waiting(
            self.session, payment_intents, stale_before=stale_before, idle_before=idle_before, limit=limit
        )

    def page(self, request: PageRequest, **filters: str | None) -> Page[PaymentIntent]:
        """Oldest first; each filter a column = value."""
        return filtered_page(self.session, payment_intents, request, self._from_row, filters)

    def created_between(self, gateway_id: str, start: datetime, end: datetime) -> list[PaymentIntent]:
        rows = self.session.execute(
            select(payment_intents)
            .where(
                payment_intents.c.gateway_id == gateway_id,
                payment_intents.c.created_at >= start,
                payment_intents.c.created_at < end,
            )
            .order_by(payment_intents.c.id)
        )
        return [self._from_row(r) for r in rows]
