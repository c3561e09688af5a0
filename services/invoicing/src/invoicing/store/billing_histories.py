"""Reads and writes of billing histories: one row per billed period of a subscription."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from billing_shared.db.records import record
from billing_shared.db.repository import filtered_page, first
from billing_shared.paging import Page, PageRequest
from invoicing.domain.billing_history import NO_PAYMENT_METHOD, PAST_DUE, BillingHistory
from invoicing.store.tables import subscription_billing_histories as histories


class BillingHistoryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _from_row(row: Any) -> BillingHistory:
        return record(BillingHistory, row)

    def add_many(self, batch: list[BillingHistory]) -> None:
        """Insert the biller's batch; a period billed before raises IntegrityError for the caller."""
        if batch:
            self.session.execute(insert(histories), [h.__dict__ for h in batch])

    def by_invoice(self, invoice_id: str, *, for_update: bool = False) -> BillingHistory | None:
        return first(
            self.session,
            select(histories).where(histories.c.invoice_id == invoice_id),
            self._from_row,
            for_update=for_update,
        )

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

    def page(self, request: PageRequest, **filters: str | None) -> Page[BillingHistory]:
        """Oldest first; each filter a column = value."""
        return filtered_page(self.session, histories, request, self._from_row, filters)
