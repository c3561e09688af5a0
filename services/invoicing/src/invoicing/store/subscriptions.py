"""Reads and writes of subscriptions within a unit of work's session."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billing_shared.db.records import record, row_values
from billing_shared.db.repository import filtered_page, first, save_versioned
from billing_shared.paging import Page, PageRequest
from invoicing.domain.subscriptions import BILLABLE, PAUSED, TRIALING, Subscription
from invoicing.store.tables import subscriptions


class SubscriptionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _from_row(row: Any) -> Subscription:
        return record(Subscription, row, items=list(row.items))

    @staticmethod
    def _values(s: Subscription) -> dict[str, Any]:
        return row_values(s, subscriptions)

    def add(self, sub: Subscription) -> bool:
        """Insert; False when the order already started its subscription (one per order, ever)."""
        try:
            with self.session.begin_nested():
                self.session.execute(insert(subscriptions).values(**self._values(sub)))
        except IntegrityError:
            return False
        return True

    def get(self, sub_id: str, for_update: bool = False) -> Subscription | None:
        return first(
            self.session,
            select(subscriptions).where(subscriptions.c.id == sub_id),
            self._from_row,
            for_update=for_update,
        )

    def by_order(self, order_id: str) -> Subscription | None:
        row = self.session.execute(select(subscriptions).where(subscriptions.c.order_id == order_id)).first()
        return self._from_row(row) if row else None

    def save(self, sub: Subscription, *, expected_version: int) -> None:
        """ConcurrentChange when another writer saved a newer version first."""
        save_versioned(
            self.session, subscriptions, sub.id, expected_version, self._values(sub), kind="subscription"
        )

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
        billable = subscriptions.c.status.in_(BILLABLE) & (subscriptions.c.current_period_end <= as_of)
        resuming = (subscriptions.c.status == PAUSED) & (subscriptions.c.resumes_at <= as_of)
        stmt = select(subscriptions.c.id).where(billable | resuming).order_by(subscriptions.c.id).limit(limit)
        if after:
            stmt = stmt.where(subscriptions.c.id > after)
        return list(self.session.execute(stmt).scalars())

    def trial_ending_ids(self, by: datetime, *, after: str | None, limit: int) -> list[str]:
        """Ids of trialing subscriptions whose trial ends by `by` and that were not warned yet."""
        stmt = (
            select(subscriptions.c.id)
            .where(
                subscriptions.c.status == TRIALING,
                subscriptions.c.trial_will_end_sent.is_(False),
                subscriptions.c.trial_end <= by,
            )
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

    def page(self, request: PageRequest, **filters: str | None) -> Page[Subscription]:
        """Oldest first; each filter a column = value."""
        return filtered_page(self.session, subscriptions, request, self._from_row, filters)
