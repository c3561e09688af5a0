"""Reads and writes of payment intents and refunds, including the claims that keep a provider call
from being driven by two processes at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billing_shared.db.timestamps import aware
from billing_shared.db.uow import affected
from payments.domain.intents import NextActionView, PaymentIntent
from payments.domain.refunds import PENDING, Refund
from payments.store.tables import LIVE_STATUSES, payment_intents, refunds


def _claim(
    session: Session,
    table: Table,
    row_id: str,
    *,
    now: datetime,
    stale_before: datetime,
    idle_before: datetime,
) -> bool:
    """Take the right to call the provider for a row still waiting for its answer: granted when no
    call is in flight (and the last one ended before `idle_before`), or the one in flight started
    before `stale_before` (its process died). One conditional UPDATE, so only one caller wins."""
    res = session.execute(
        update(table)
        .where(
            table.c.id == row_id,
            table.c.provider_pending.is_(True),
            or_(
                and_(table.c.provider_call_at.is_(None), table.c.updated_at <= idle_before),
                table.c.provider_call_at < stale_before,
            ),
        )
        .values(provider_call_at=now, provider_attempts=table.c.provider_attempts + 1)
    )
    return affected(res) == 1


def _release(session: Session, table: Table, row_id: str, now: datetime) -> None:
    """The call ended without an answer (the provider was unreachable): no call in flight now."""
    session.execute(
        update(table)
        .where(table.c.id == row_id, table.c.provider_pending.is_(True))
        .values(provider_call_at=None, updated_at=now)
    )


def _waiting(table: Table, *, stale_before: datetime, idle_before: datetime) -> Any:
    return and_(
        table.c.provider_pending.is_(True),
        or_(
            and_(table.c.provider_call_at.is_(None), table.c.updated_at <= idle_before),
            table.c.provider_call_at < stale_before,
        ),
    )


class IntentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _from_row(row: Any) -> PaymentIntent:
        na = row.next_action
        return PaymentIntent(
            id=row.id,
            order_id=row.order_id,
            customer_id=row.customer_id,
            amount=row.amount,
            currency=row.currency,
            status=row.status,
            gateway_id=row.gateway_id,
            capture_method=row.capture_method,
            payment_method_token=row.payment_method_token,
            client_id=row.client_id,
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
            gateway_reference=row.gateway_reference,
            client_secret=row.client_secret,
            next_action=NextActionView(na["type"], na["url"]) if na else None,
            return_url=row.return_url,
            failure_code=row.failure_code,
            failure_message=row.failure_message,
            amount_refunded=row.amount_refunded,
            disputed=row.disputed,
            provider_pending=row.provider_pending,
            idempotency_key=row.idempotency_key,
            invoice_id=row.invoice_id,
            subscription_id=row.subscription_id,
            attempt=row.attempt,
            off_session=bool(row.off_session),
            version=row.version,
        )

    @staticmethod
    def _values(i: PaymentIntent) -> dict[str, Any]:
        return {
            "order_id": i.order_id,
            "customer_id": i.customer_id,
            "amount": i.amount,
            "currency": i.currency,
            "status": i.status,
            "gateway_id": i.gateway_id,
            "gateway_reference": i.gateway_reference,
            "client_secret": i.client_secret,
            "next_action": {"type": i.next_action.type, "url": i.next_action.url} if i.next_action else None,
            "capture_method": i.capture_method,
            "return_url": i.return_url,
            "payment_method_token": i.payment_method_token,
            "failure_code": i.failure_code,
            "failure_message": i.failure_message,
            "amount_refunded": i.amount_refunded,
            "disputed": i.disputed,
            "provider_pending": i.provider_pending,
            "client_id": i.client_id,
            "idempotency_key": i.idempotency_key,
            "invoice_id": i.invoice_id,
            "subscription_id": i.subscription_id,
            "attempt": i.attempt,
            "off_session": i.off_session,
            "version": i.version,
            "created_at": i.created_at,
            "updated_at": i.updated_at,
        }

    def add(self, intent: PaymentIntent, *, calling_since: datetime | None) -> None:
        """Insert a new intent; `calling_since` claims its first provider call at once."""
        self.session.execute(
            insert(payment_intents).values(
                id=intent.id, provider_call_at=calling_since, provider_attempts=0, **self._values(intent)
            )
        )

    def get(self, intent_id: str, *, for_update: bool = False) -> PaymentIntent | None:
        stmt = select(payment_intents).where(payment_intents.c.id == intent_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = self.session.execute(stmt).first()
        return self._from_row(row) if row else None

    def by_reference(
        self, gateway_id: str, reference: str, *, for_update: bool = False
    ) -> PaymentIntent | None:
        stmt = select(payment_intents).where(
            payment_intents.c.gateway_id == gateway_id, payment_intents.c.gateway_reference == reference
        )
        if for_update:
            stmt = stmt.with_for_update()
        row = self.session.execute(stmt).first()
        return self._from_row(row) if row else None

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

    def live_for_order(self, order_id: str) -> PaymentIntent | None:
        row = self.session.execute(
            select(payment_intents).where(
                payment_intents.c.order_id == order_id, payment_intents.c.status.in_(LIVE_STATUSES)
            )
        ).first()
        return self._from_row(row) if row else None

    def save(self, intent: PaymentIntent, expected_version: int, *, call_done: bool = False) -> bool:
        """Optimistic write: False when another writer saved a newer version first. `call_done`
        also clears the claim of the provider call whose answer this is."""
        values = self._values(intent)
        if call_done:
            values["provider_call_at"] = None
        res = self.session.execute(
            update(payment_intents)
            .where(payment_intents.c.id == intent.id, payment_intents.c.version == expected_version)
            .values(**values)
        )
        return affected(res) == 1

    def claim_call(
        self, intent_id: str, *, now: datetime, stale_before: datetime, idle_before: datetime
    ) -> bool:
        return _claim(
            self.session,
            payment_intents,
            intent_id,
            now=now,
            stale_before=stale_before,
            idle_before=idle_before,
        )

    def release_call(self, intent_id: str, now: datetime) -> None:
        _release(self.session, payment_intents, intent_id, now)

    def waiting_for_provider(self, *, stale_before: datetime, idle_before: datetime, limit: int) -> list[str]:
        rows = self.session.execute(
            select(payment_intents.c.id)
            .where(_waiting(payment_intents, stale_before=stale_before, idle_before=idle_before))
            .order_by(payment_intents.c.id)
            .limit(limit)
        )
        return [r.id for r in rows]

    def page(
        self,
        *,
        limit: int,
        starting_after: str | None,
        customer_id: str | None,
        order_id: str | None,
        status: str | None,
        invoice_id: str | None = None,
    ) -> list[PaymentIntent]:
        stmt = select(payment_intents).order_by(payment_intents.c.id).limit(limit)
        if starting_after:
            stmt = stmt.where(payment_intents.c.id > starting_after)
        if customer_id:
            stmt = stmt.where(payment_intents.c.customer_id == customer_id)
        if order_id:
            stmt = stmt.where(payment_intents.c.order_id == order_id)
        if status:
            stmt = stmt.where(payment_intents.c.status == status)
        if invoice_id:
            stmt = stmt.where(payment_intents.c.invoice_id == invoice_id)
        return [self._from_row(r) for r in self.session.execute(stmt)]

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
        return _claim(
            self.session, refunds, refund_id, now=now, stale_before=stale_before, idle_before=idle_before
        )

    def release_call(self, refund_id: str, now: datetime) -> None:
        _release(self.session, refunds, refund_id, now)

    def waiting_for_provider(self, *, stale_before: datetime, idle_before: datetime, limit: int) -> list[str]:
        rows = self.session.execute(
            select(refunds.c.id)
            .where(_waiting(refunds, stale_before=stale_before, idle_before=idle_before))
            .order_by(refunds.c.id)
            .limit(limit)
        )
        return [r.id for r in rows]

    def page(
        self,
        *,
        limit: int,
        starting_after: str | None,
        customer_id: str | None,
        payment_intent_id: str | None,
    ) -> list[Refund]:
        stmt = select(refunds).order_by(refunds.c.id).limit(limit)
        if starting_after:
            stmt = stmt.where(refunds.c.id > starting_after)
        if customer_id:
            stmt = stmt.where(refunds.c.customer_id == customer_id)
        if payment_intent_id:
            stmt = stmt.where(refunds.c.payment_intent_id == payment_intent_id)
        return [self._from_row(r) for r in self.session.execute(stmt)]

    def of_intents(self, intent_ids: list[str]) -> list[Refund]:
        if not intent_ids:
            return []
        rows = self.session.execute(select(refunds).where(refunds.c.payment_intent_id.in_(intent_ids)))
        return [self._from_row(r) for r in rows]
