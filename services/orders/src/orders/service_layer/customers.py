"""The customers orders knows from their events: existence and the billing address tax depends on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from billing_shared.db.uow import UnitOfWork
from orders.store.customers import CustomerProjection


def project_customer(uow: UnitOfWork, customer: dict[str, Any]) -> None:
    """From CustomerCreated / CustomerUpdated: an older version never overwrites a newer one."""
    CustomerProjection(uow.session).apply(customer, datetime.now(UTC))


def project_default_method(uow: UnitOfWork, change: dict[str, Any]) -> None:
    """From PaymentMethodDefaultChanged: the method a trial's first charge will use."""
    CustomerProjection(uow.session).apply_default_method(change)
