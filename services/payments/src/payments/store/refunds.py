"""Reads and writes of refunds, including the claim on a refund's provider call
(`payments.store.provider_claims`). Refunds have no version column: an answer is applied to one
under its intent's row lock (ADR 0003's one order of locks), and a claim is a conditional UPDATE."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from billing_shared.db.repository import keyset_page
from billing_shared.db.timestamps import aware
from billing_shared.paging import Page, PageRequest
from payments.domain.refunds import PENDING, Refund
from payments.store import provider_claims
from payments.store.tables import refunds


class RefundRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _from_row(row: Any) -> Refund:
        return Refund(
            id=row.id,
            payment_intent_id=row.payment_intent_id,
            order_id=row.order_id,
            customer_id=row.customer_id,
            amount=row.amount,
            currency=row.currency,
            status=row.status,
            reason=row.reason,
            client_id=row.client_id,
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
            gateway_reference=row.gateway_reference,
            failure_message=row.failure_message,
            provider_pending=row.provider_pending,
            idempotency_key=row.idempotency_key,
        )

    @staticmethod
    def _values(r: Refund) -> dict[str, Any]:
        return {
            "payment_intent_id": r.payment_intent_id,
            "order_id": r.order_id,
            "customer_id": r.customer_id,
            "amount": r.amount,
            "currency": r.currency,
            "status": r.status,
            "reason": r.reason,
            "gateway_reference": r.gateway_reference,
            "failure_message": r.failure_message,
            "provider_pending": r.provider_pending,
            "client_id": r.client_id,
            "idempotency_key": r.idempotency_key,
            "created_at": r.created_at,
            "updated_at": r.updated_at,
        }

    def add(self, refund: Refund, *, calling_since: datetime | None) -> None:
        self.session.execute(
            insert(refunds).values(
                id=refund.id, provider_call_at=calling_since, provider_attempts=0, **self._values(refund)
            )
        )

    def get(self, refund_id: str, *, for_update: bool = False) -> Refund | None:
        stmt = select(refunds).where(refunds.c.id == refund_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = self.session.execute(stmt).first()
        return self._from_row(row) if row else None

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

    def page(
        self, request: PageRequest, *, customer_id: str | None, payment_intent_id: str | None
    ) -> Page[Refund]:
        stmt = select(refunds)
        if customer_id:
            stmt = stmt.where(refunds.c.customer_id == customer_id)
        if payment_intent_id:
            stmt = stmt.where(refunds.c.payment_intent_id == payment_intent_id)
        return keyset_page(self.session, stmt, refunds.c.id, request).map(self._from_row)
