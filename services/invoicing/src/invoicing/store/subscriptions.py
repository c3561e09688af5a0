"""Reads and writes of subscriptions and their billing histories (one row per billed period)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billing_shared.db.timestamps import aware
from billing_shared.db.uow import affected
from invoicing.domain.subscriptions import BILLABLE, Subscription
from invoicing.store.tables import subscription_billing_histories as histories
from invoicing.store.tables import subscriptions

# Billing history statuses.
PENDING = "pending"  # a charge was requested; its answer has not come yet
PAID = "paid"
PAST_DUE = "past_due"  # the last charge failed; `next_attempt_at` says when dunning retries
UNCOLLECTIBLE = "uncollectible"  # dunning gave up
NO_PAYMENT_METHOD = "requires_payment_method"  # nothing saved to charge: waits for one
HISTORY_STATUSES = (PENDING, PAID, PAST_DUE, UNCOLLECTIBLE, NO_PAYMENT_METHOD)


class SubscriptionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _from_row(row: Any) -> Subscription:
        return Subscription(
            id=row.id,
            order_id=row.order_id,
            customer_id=row.customer_id,
            currency=row.currency,
            items=list(row.items),
            coupon=row.coupon,
            coupon_cycles_remaining=row.coupon_cycles_remaining,
            billing_cycle_id=row.billing_cycle_id,
            interval_unit=row.interval_unit,
            interval_count=row.interval_count,
            status=row.status,
            current_period_start=aware(row.current_period_start),
            current_period_end=aware(row.current_period_end),
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
            cancel_at_period_end=row.cancel_at_period_end,
            canceled_at=aware(row.canceled_at),
            gateway_id=row.gateway_id,
            payment_method_token=row.payment_method_token,
            version=row.version,
        )

    @staticmethod
    def _values(s: Subscription) -> dict[str, Any]:
        return {
            "id": s.id,
            "order_id": s.order_id,
            "customer_id": s.customer_id,
            "currency": s.currency,
            "items": s.items,
            "coupon": s.coupon,
            "coupon_cycles_remaining": s.coupon_cycles_remaining,
            "billing_cycle_id": s.billing_cycle_id,
            "interval_unit": s.interval_unit,
            "interval_count": s.interval_count,
            "status": s.status,
            "current_period_start": s.current_period_start,
            "current_period_end": s.current_period_end,
            "cancel_at_period_end": s.cancel_at_period_end,
            "canceled_at": s.canceled_at,
            "gateway_id": s.gateway_id,
            "payment_method_token": s.payment_method_token,
            "version": s.version,
            "created_at": s.created_at,
            "updated_at": s.updated_at,
        }

    def add(self, sub: Subscription) -> bool:
        """Insert; False when the order already started its subscription (one per order, ever)."""
        try:
            with self.session.begin_nested():
                self.session.execute(insert(subscriptions).values(**self._values(sub)))
        except IntegrityError:
            return False
        return True

    def get(self, sub_id: str, for_update: bool = False) -> Subscription | None:
        stmt = select(subscriptions).where(subscriptions.c.id == sub_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = self.session.execute(stmt).first()
        return self._from_row(row) if row else None

    def by_order(self, order_id: str) -> Subscription | None:
        row = self.session.execute(select(subscriptions).where(subscriptions.c.order_id == order_id)).first()
        return self._from_row(row) if row else None

    def save(self, sub: Subscription, *, expected_version: int) -> bool:
        values = self._values(sub)
        values.pop("id")
        result = self.session.execute(
            update(subscriptions)
            .where(subscriptions.c.id == sub.id, subscriptions.c.version == expected_version)
            .values(**values)
        )
        return affected(result) == 1

    def save_many(self, batch: list[Subscription]) -> None:
        """Write subscriptions whose rows this transaction holds locked (the biller's batch)."""
        if not batch:
            return
        cols = [c for c in self._values(batch[0]) if c != "id"]
        stmt = (
            update(subscriptions)
            .where(subscriptions.c.id == bindparam("b_id"))
            .values({c: bindparam(c) for c in cols})
        )
        params = [{"b_id": s.id} | {k: v for k, v in self._values(s).items() if k != "id"} for s in batch]
        self.session.connection().execute(stmt, params)

    def due_ids(self, as_of: datetime, *, after: str | None, limit: int) -> list[str]:
        """Ids of subscriptions whose current period is over by `as_of` (to renew or to end), in
        id order from `after`: the biller walks them in batches."""
        stmt = (
            select(subscriptions.c.id)
            .where(subscriptions.c.status.in_(BILLABLE), subscriptions.c.current_period_end <= as_of)
            .order_by(subscriptions.c.id)
            .limit(limit)
        )
        if after:
            stmt = stmt.where(subscriptions.c.id > after)
        return list(self.session.execute(stmt).scalars())

    def lock_many(self, ids: list[str]) -> list[Subscription]:
        """Lock a batch; rows another billing run holds are skipped (it bills them), never waited on."""
        stmt = (
            select(subscriptions)
            .where(subscriptions.c.id.in_(ids))
            .order_by(subscriptions.c.id)
            .with_for_update(skip_locked=True)
        )
        return [self._from_row(r) for r in self.session.execute(stmt)]

    def page(
        self,
        *,
        limit: int,
        starting_after: str | None,
        customer_id: str | None,
        status: str | None,
        order_id: str | None,
    ) -> list[Subscription]:
        stmt = select(subscriptions).order_by(subscriptions.c.id).limit(limit)
        if starting_after:
            stmt = stmt.where(subscriptions.c.id > starting_after)
        if customer_id:
            stmt = stmt.where(subscriptions.c.customer_id == customer_id)
        if status:
            stmt = stmt.where(subscriptions.c.status == status)
        if order_id:
            stmt = stmt.where(subscriptions.c.order_id == order_id)
        return [self._from_row(r) for r in self.session.execute(stmt)]


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


class BillingHistoryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _from_row(row: Any) -> BillingHistory:
        return BillingHistory(
            id=row.id,
            subscription_id=row.subscription_id,
            customer_id=row.customer_id,
            period_start=aware(row.period_start),
            period_end=aware(row.period_end),
            invoice_id=row.invoice_id,
            status=row.status,
            attempts=row.attempts,
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
            payment_intent_id=row.payment_intent_id,
            next_attempt_at=aware(row.next_attempt_at),
            failure_code=row.failure_code,
        )

    def add(self, h: BillingHistory) -> bool:
        """Insert; False when the period was billed already (unique subscription + period)."""
        try:
            with self.session.begin_nested():
                self.session.execute(insert(histories).values(**h.__dict__))
        except IntegrityError:
            return False
        return True

    def add_many(self, batch: list[BillingHistory]) -> None:
        if batch:
            self.session.execute(insert(histories), [h.__dict__ for h in batch])

    def by_invoice(self, invoice_id: str, *, for_update: bool = False) -> BillingHistory | None:
        stmt = select(histories).where(histories.c.invoice_id == invoice_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = self.session.execute(stmt).first()
        return self._from_row(row) if row else None

    def update(self, history_id: str, **values: Any) -> None:
        self.session.execute(update(histories).where(histories.c.id == history_id).values(**values))

    def retry_ids(self, as_of: datetime, *, after: str | None, limit: int) -> list[str]:
        """Periods whose dunning retry is due by `as_of`."""
        stmt = (
            select(histories.c.id)
            .where(histories.c.status == PAST_DUE, histories.c.next_attempt_at <= as_of)
            .order_by(histories.c.id)
            .limit(limit)
        )
        if after:
            stmt = stmt.where(histories.c.id > after)
        return list(self.session.execute(stmt).scalars())

    def lock_many(self, ids: list[str]) -> list[BillingHistory]:
        stmt = (
            select(histories)
            .where(histories.c.id.in_(ids))
            .order_by(histories.c.id)
            .with_for_update(skip_locked=True)
        )
        return [self._from_row(r) for r in self.session.execute(stmt)]

    def unpaid_count(self, subscription_id: str) -> int:
        stmt = select(histories.c.id).where(
            histories.c.subscription_id == subscription_id,
            or_(histories.c.status == PAST_DUE, histories.c.status == NO_PAYMENT_METHOD),
        )
        return len(list(self.session.execute(stmt).scalars()))

    def page(
        self, *, limit: int, starting_after: str | None, subscription_id: str | None, customer_id: str | None
    ) -> list[BillingHistory]:
        stmt = select(histories).order_by(histories.c.id).limit(limit)
        if starting_after:
            stmt = stmt.where(histories.c.id > starting_after)
        if subscription_id:
            stmt = stmt.where(histories.c.subscription_id == subscription_id)
        if customer_id:
            stmt = stmt.where(histories.c.customer_id == customer_id)
        return [self._from_row(r) for r in self.session.execute(stmt)]
