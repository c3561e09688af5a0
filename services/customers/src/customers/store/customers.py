"""Reads and writes of customers within a unit of work's session."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from billing_shared.db.newest import keep_newest
from billing_shared.db.records import record, row_values
from billing_shared.db.repository import equal_to, first, keyset_page, save_versioned
from billing_shared.paging import Page, PageRequest
from customers.domain.customer import Customer, normalize_email
from customers.domain.references import KINDS, Reference
from customers.store.tables import customer_credit_balances as credit_balances
from customers.store.tables import customer_references, customers


class CustomerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _from_row(
        row: Any, refs: dict[str, list[str]] | None = None, credit: dict[str, int] | None = None
    ) -> Customer:
        return record(
            Customer, row, metadata=row.metadata or {}, references=refs or {}, credit_balance=credit or {}
        )

    def get(
        self, customer_id: str, *, with_references: bool = True, for_update: bool = False
    ) -> Customer | None:
        def load(row: Any) -> Customer:
            if not with_references:
                return self._from_row(row)
            credit = self.credit_for([customer_id])[customer_id]
            return self._from_row(row, self.references_of(customer_id), credit)

        stmt = select(customers).where(customers.c.id == customer_id)
        return first(self.session, stmt, load, for_update=for_update)

    def page(self, request: PageRequest, *, email: str | None, only_id: str | None) -> Page[Customer]:
        email_normalized = normalize_email(email) if email else None
        stmt = select(customers).where(*equal_to(customers, email_normalized=email_normalized, id=only_id))
        rows = keyset_page(self.session, stmt, customers.c.id, request)
        ids = [r.id for r in rows.items]
        refs, credit = self.references_for(ids), self.credit_for(ids)
        return rows.map(lambda r: self._from_row(r, refs[r.id], credit[r.id]))

    def add(self, c: Customer) -> None:
        self.session.execute(insert(customers).values(**self._values(c)))

    def save(self, c: Customer, expected_version: int) -> None:
        save_versioned(self.session, customers, c.id, expected_version, self._values(c), kind="customer")

    @staticmethod
    def _values(c: Customer) -> dict[str, Any]:
        return row_values(c, customers, email_normalized=normalize_email(c.email))

    def credit_for(self, customer_ids: list[str]) -> dict[str, dict[str, int]]:
        """Each customer's credit balance per currency (currencies never credited are absent)."""
        found: dict[str, dict[str, int]] = {cid: {} for cid in customer_ids}
        if customer_ids:
            rows = self.session.execute(
                select(credit_balances).where(credit_balances.c.customer_id.in_(customer_ids))
            )
            for r in rows:
                found[r.customer_id][r.currency] = int(r.balance)
        return found

    def record_credit(
        self, customer_id: str, currency: str, balance: int, version: int, now: datetime
    ) -> bool:
        """Keep invoicing's balance unless a later movement's (a higher version) is known."""
        key = {"customer_id": customer_id, "currency": currency}
        values = {"balance": balance, "version": version, "updated_at": now}
        return keep_newest(self.session, credit_balances, key, values, "version")

    def references_of(self, customer_id: str) -> dict[str, list[str]]:
        return self.references_for([customer_id])[customer_id]

    def references_for(self, customer_ids: list[str]) -> dict[str, dict[str, list[str]]]:
        """References of several customers in one query, oldest first, by kind."""
        refs: dict[str, dict[str, list[str]]] = {cid: {k: [] for k in KINDS} for cid in customer_ids}
        if not customer_ids:
            return refs
        rows = self.session.execute(
            select(
                customer_references.c.customer_id, customer_references.c.kind, customer_references.c.ref_id
            )
            .where(customer_references.c.customer_id.in_(customer_ids))
            .order_by(customer_references.c.id)
        )
        for cid, kind, ref_id in rows:
            refs[cid].setdefault(kind, []).append(ref_id)
        return refs

    def has_reference(self, ref: Reference) -> bool:
        row = self.session.execute(
            select(customer_references.c.id).where(
                customer_references.c.kind == ref.kind, customer_references.c.ref_id == ref.ref_id
            )
        ).first()
        return row is not None

    def add_reference(self, ref: Reference, now: datetime) -> None:
        self.session.execute(
            insert(customer_references).values(
                customer_id=ref.customer_id, kind=ref.kind, ref_id=ref.ref_id, created_at=now
            )
        )
