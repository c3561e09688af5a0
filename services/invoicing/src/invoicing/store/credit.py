"""Customer credit balances and their movements. A balance row is locked before it changes and
changes only with its movement in the same transaction; a second movement of the same kind for
the same invoice is refused by the database (a replay gives no second credit)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billing_shared.db.records import record, row_values
from billing_shared.db.repository import filtered_page
from billing_shared.events.domain import DomainEvent
from billing_shared.ids import new_id
from billing_shared.paging import Page, PageRequest
from invoicing.domain import credit
from invoicing.domain.credit import Movement
from invoicing.store.tables import customer_balance_transactions as movements
from invoicing.store.tables import customer_balances as balances


class CustomerBalances:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock(self, customer_id: str, currency: str, now: datetime) -> tuple[int, int]:
        """(balance, version) of the customer's credit in `currency`, its row locked (made at 0)."""
        key = (balances.c.customer_id == customer_id) & (balances.c.currency == currency)
        row = self.session.execute(
            select(balances.c.balance, balances.c.version).where(key).with_for_update()
        ).first()
        if row is not None:
            return int(row.balance), int(row.version)
        try:
            with self.session.begin_nested():
                self.session.execute(
                    insert(balances).values(
                        customer_id=customer_id, currency=currency, balance=0, version=0, updated_at=now
                    )
                )
        except IntegrityError:  # a concurrent transaction made it: lock theirs
            pass
        return self.lock(customer_id, currency, now)

    def lock_positive(self, customer_ids: list[str]) -> dict[tuple[str, str], int]:
        """The balances above 0 of these customers, locked (the biller's batch: most have none,
        so none is made or locked for them)."""
        if not customer_ids:
            return {}
        stmt = (
            select(balances.c.customer_id, balances.c.currency, balances.c.balance)
            .where(balances.c.customer_id.in_(sorted(set(customer_ids))), balances.c.balance > 0)
            .order_by(balances.c.customer_id, balances.c.currency)
            .with_for_update()
        )
        return {(r.customer_id, r.currency): int(r.balance) for r in self.session.execute(stmt)}

    def of(self, customer_id: str) -> dict[str, int]:
        """Every currency's balance of the customer (no lock: for reading)."""
        rows = self.session.execute(
            select(balances.c.currency, balances.c.balance).where(balances.c.customer_id == customer_id)
        )
        return {r.currency: int(r.balance) for r in rows}

    def move(
        self,
        *,
        customer_id: str,
        currency: str,
        amount: int,
        kind: str,
        invoice_id: str | None,
        subscription_id: str | None,
        now: datetime,
    ) -> tuple[Movement, DomainEvent] | None:
        """Add `amount` to the balance (locking it) with its movement row; None when this invoice
        already had this kind of movement (a replay)."""
        balance, version = self.lock(customer_id, currency, now)
        m = Movement(
            id=new_id("cbt"),
            customer_id=customer_id,
            currency=currency,
            amount=amount,
            balance_after=balance + amount,
            kind=kind,
            invoice_id=invoice_id,
            subscription_id=subscription_id,
            created_at=now,
        )
        try:
            with self.session.begin_nested():
                self.session.execute(insert(movements).values(**_values(m)))
        except IntegrityError:
            return None
        key = (balances.c.customer_id == customer_id) & (balances.c.currency == currency)
        self.session.execute(
            update(balances).where(key).values(balance=m.balance_after, version=version + 1, updated_at=now)
        )
        return m, credit.changed(m, version + 1)

    def get(self, movement_id: str) -> Movement | None:
        row = self.session.execute(select(movements).where(movements.c.id == movement_id)).first()
        return _from_row(row) if row else None

    def page(self, request: PageRequest, **filters: str | None) -> Page[Movement]:
        return filtered_page(self.session, movements, request, _from_row, filters)

    def movements_sum(self, customer_id: str, currency: str) -> int:
        rows = self.session.execute(
            select(movements.c.amount).where(
                (movements.c.customer_id == customer_id) & (movements.c.currency == currency)
            )
        )
        return sum(int(r.amount) for r in rows)


def _values(m: Movement) -> dict[str, Any]:
    return row_values(m, movements)


def _from_row(row: Any) -> Movement:
    return record(Movement, row)
