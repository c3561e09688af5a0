"""Reads and writes of customers within a unit of work's session."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from billing_shared.db.repository import keyset_page, save_versioned
from billing_shared.db.timestamps import aware
from billing_shared.paging import Page, PageRequest
from customers.domain.customer import Customer, normalize_email
from customers.domain.references import KINDS, Reference
from customers.store.tables import customer_references, customers


class CustomerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _from_row(self, row: Any, refs: dict[str, list[str]] | None = None) -> Customer:
        return Customer(
            id=row.id,
            name=row.name,
            email=row.email,
            billing_address=row.billing_address,
            tax_id=row.tax_id,
            preferred_currency=row.preferred_currency,
            metadata=row.metadata or {},
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
            version=row.version,
            references=refs if refs is not None else {},
        )

    def get(
        self, customer_id: str, *, with_references: bool = True, for_update: bool = False
    ) -> Customer | None:
        stmt = select(customers).where(customers.c.id == customer_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = self.session.execute(stmt).first()
        if row is None:
            return None
        return self._from_row(row, self.references_of(customer_id) if with_references else None)

    def page(self, request: PageRequest, *, email: str | None, only_id: str | None) -> Page[Customer]:
        stmt = select(customers)
        if email:
            stmt = stmt.where(customers.c.email_normalized == normalize_email(email))
        if only_id is not None:
            stmt = stmt.where(customers.c.id == only_id)
        rows = keyset_page(self.session, stmt, customers.c.id, request)
        refs = self.references_for([r.id for r in rows.items])
        return rows.map(lambda r: self._from_row(r, refs[r.id]))

    def add(self, c: Customer) -> None:
        self.session.execute(insert(customers).values(**self._values(c)))

    def save(self, c: Customer, expected_version: int) -> None:
        save_versioned(self.session, customers, c.id, expected_version, self._values(c), kind="customer")

    def _values(self, c: Customer) -> dict[str, Any]:
        return {
            "id": c.id,
            "name": c.name,
            "email": c.email,
            "email_normalized": normalize_email(c.email),
            "billing_address": c.billing_address,
            "tax_id": c.tax_id,
            "preferred_currency": c.preferred_currency,
            "metadata": c.metadata,
            "version": c.version,
            "created_at": c.created_at,
            "updated_at": c.updated_at,
        }

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
