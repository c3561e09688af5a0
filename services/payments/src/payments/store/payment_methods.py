"""Reads and writes of saved payment methods, each customer's default, the provider customers they
hang on, and the customers payments knows of."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billing_shared.db.records import record, row_values
from billing_shared.db.repository import filtered_page, first, save_versioned
from billing_shared.paging import Page, PageRequest
from payments.domain.payment_methods import ATTACHED, DefaultMethod, PaymentMethod
from payments.store.tables import customer_projection, default_methods, payment_methods, provider_customers

NEVER = datetime(1970, 1, 1, tzinfo=UTC)  # a default row made only to be locked


class PaymentMethodRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _from_row(row: Any) -> PaymentMethod:
        return record(PaymentMethod, row)

    def add(self, method: PaymentMethod) -> None:
        self.session.execute(insert(payment_methods).values(**row_values(method, payment_methods)))

    def get(self, method_id: str, *, for_update: bool = False) -> PaymentMethod | None:
        """An attached method (a detached one is gone for every reader)."""
        stmt = select(payment_methods).where(
            payment_methods.c.id == method_id, payment_methods.c.status == ATTACHED
        )
        return first(self.session, stmt, self._from_row, for_update=for_update)

    def find(self, method_id: str) -> PaymentMethod | None:
        """A method attached or detached (a renewal naming a method since detached falls back)."""
        return first(
            self.session, select(payment_methods).where(payment_methods.c.id == method_id), self._from_row
        )

    def by_provider_reference(self, gateway_id: str, reference: str) -> PaymentMethod | None:
        stmt = select(payment_methods).where(
            payment_methods.c.gateway_id == gateway_id, payment_methods.c.provider_reference == reference
        )
        return first(self.session, stmt, self._from_row)

    def save(self, method: PaymentMethod, expected_version: int) -> None:
        values = row_values(method, payment_methods)
        save_versioned(
            self.session, payment_methods, method.id, expected_version, values, kind="payment method"
        )

    def page(self, request: PageRequest, *, customer_id: str | None = None) -> Page[PaymentMethod]:
        filters = {"status": ATTACHED, "customer_id": customer_id}
        return filtered_page(self.session, payment_methods, request, self._from_row, filters)

    # -- defaults ---------------------------------------------------------------------------------

    def default_of(self, customer_id: str, *, for_update: bool = False) -> DefaultMethod:
        """The customer's default, locked with `for_update` (its row made first, so two concurrent
        changes of one customer's default queue on it)."""
        if for_update:
            try:
                with self.session.begin_nested():
                    self.session.execute(
                        insert(default_methods).values(
                            customer_id=customer_id, payment_method_id=None, version=0, updated_at=NEVER
                        )
                    )
            except IntegrityError:
                pass  # it exists: lock it below
        stmt = select(default_methods).where(default_methods.c.customer_id == customer_id)
        found = first(self.session, stmt, lambda row: record(DefaultMethod, row), for_update=for_update)
        return found or DefaultMethod(customer_id, None)

    def put_default(self, default: DefaultMethod, now: datetime) -> None:
        """Written under the lock `default_of(for_update=True)` took."""
        self.session.execute(
            update(default_methods)
            .where(default_methods.c.customer_id == default.customer_id)
            .values(payment_method_id=default.payment_method_id, version=default.version, updated_at=now)
        )

    # -- provider customers and known customers ----------------------------------------------------

    def provider_customer(self, customer_id: str, gateway_id: str) -> str | None:
        return self.session.execute(
            select(provider_customers.c.reference).where(
                provider_customers.c.customer_id == customer_id, provider_customers.c.gateway_id == gateway_id
            )
        ).scalar_one_or_none()

    def keep_provider_customer(self, customer_id: str, gateway_id: str, reference: str, now: datetime) -> str:
        """The first reference recorded for (customer, gateway) wins a race; returns it."""
        try:
            with self.session.begin_nested():
                self.session.execute(
                    insert(provider_customers).values(
                        customer_id=customer_id, gateway_id=gateway_id, reference=reference, created_at=now
                    )
                )
        except IntegrityError:
            pass
        kept = self.provider_customer(customer_id, gateway_id)
        assert kept is not None
        return kept

    def customer_known(self, customer_id: str) -> bool:
        stmt = select(customer_projection.c.id).where(customer_projection.c.id == customer_id)
        return self.session.execute(stmt).first() is not None

    def record_customer(self, customer_id: str, now: datetime) -> None:
        if not self.customer_known(customer_id):
            self.session.execute(insert(customer_projection).values(id=customer_id, created_at=now))
