"""Reads and writes of refunds, including the claim on a refund's provider call
(`payments.store.provider_claims`). Refunds have no version column: an answer is applied to one
under its intent's row lock (ADR 0003's one order of locks), and a claim is a conditional UPDATE."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from billing_shared.db.records import record, row_values
from billing_shared.db.repository import filtered_page, first
from billing_shared.paging import Page, PageRequest
from payments.domain.refunds import PENDING, Refund
from payments.store import provider_claims
from payments.store.tables import refunds


class RefundRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _from_row(row: Any) -> Refund:
        return record(Refund, row)

    @staticmethod
    def _values(r: Refund) -> dict[str, Any]:
        """Every column but the provider call's claim, which `provider_claims` owns."""
        return row_values(r, refunds, skip=provider_claims.CLAIM_COLUMNS)

    def add(self, refund: Refund, *, calling_since: datetime | None) -> None:
        self.session.execute(
            insert(refunds).values(
                **self._values(refund), provider_call_at=calling_since, provider_attempts=0
            )
        )

    def get(self, refund_id: str, *, for_update: bool = False) -> Refund | None:
        return first(
            self.session,
            select(refunds).where(refunds.c.id == refund_id),
            self._from_row,
            for_update=for_update,
        )

    def save(self, refund: Refund, *, call_done: bool = False) -> None:
        values = self._values(refund)
        if call_done:
            values["provider_call_at"] = None
        self.session.execute(update(refunds).where(refunds.c.id == refund.id).values(**values))

    def by_request_key(self, client_id: str, key: str, *, since: datetime) -> Refund | None:
        """The refund a client's Idempotency-Key created (within the key's lifetime)."""
        row = self.session.execute(
            select(refunds)
            .where(
                refunds.c.client_id == client_id,
                refunds.c.idempotency_key == key,
                refunds.c.created_at >= since,
            )
            .order_by(refunds.c.created_at.desc())
            .limit(1)
        ).first()
        return self._from_row(row) if row else None

    def in_flight_amount(self, intent_id: str) -> int:
        """Refunds created but not yet confirmed or refused: their amounts are reserved."""
        return int(
            self.session.execute(
                select(func.coalesce(func.sum(refunds.c.amount), 0)).where(
                    refunds.c.payment_intent_id == intent_id, refunds.c.status == PENDING
                )
            ).scalar_one()
        )

    def pending_of(self, intent_id: str) -> list[Refund]:
        rows = self.session.execute(
            select(refunds)
            .where(refunds.c.payment_intent_id == intent_id, refunds.c.status == PENDING)
            .order_by(refunds.c.id)
        )
        return [self._from_row(r) for r in rows]

    def claim_call(
        self, refund_id: str, *, now: datetime, stale_before: datetime, idle_before: datetime
    ) -> bool:
        return provider_claims.claim(
            self.session, refunds, refund_id, now=now, stale_before=stale_before, idle_before=idle_before
        )

    def release_call(self, refund_id: str, now: datetime) -> None:
        provider_claims.release(self.session, refunds, refund_id, now)

    def waiting_for_provider(self, *, stale_before: datetime, idle_before: datetime, limit: int) -> list[str]:
        return provider_claims.waiting(
            self.session, refunds, stale_before=stale_before, idle_before=idle_before, limit=limit
        )

    def page(self, request: PageRequest, **filters: str | None) -> Page[Refund]:
        """Oldest first; each filter a column = value."""
        return filtered_page(self.session, refunds, request, self._from_row, filters)
