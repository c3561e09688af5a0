"""Reading what belongs to customers, one way in every service: one resource (a 404 for another
customer's, never a 403 that would confirm the id exists) and a page of them (a customer token's
own only; asked for another customer's, an empty page)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from billing_shared.auth.scope import CustomerScope, Owned
from billing_shared.db.uow import UnitOfWork
from billing_shared.paging import Page, PageRequest

T = TypeVar("T", bound=Owned)


@dataclass(frozen=True)
class OwnedReads(Generic[T]):
    """The reads of one kind of customer-owned resource, from its repository (whose `get(id)`
    and `page(request, **filters)` give that kind): `OwnedReads[Invoice](InvoiceRepository, "invoice")`."""

    repository: Callable[[Session], Any]
    kind: str  # as a 404 names it: "invoice", "payment intent"

    def one(self, uow: UnitOfWork, scope: CustomerScope, ident: str) -> T:
        found: T | None = self.repository(uow.session).get(ident)
        return scope.visible(found, self.kind, ident)

    def page(
        self,
        uow: UnitOfWork,
        scope: CustomerScope,
        request: PageRequest,
        *,
        customer_id: str | None = None,
        **filters: Any,
    ) -> Page[T]:
        """Oldest first, filtered by `filters` (column = value); `customer_id` as the scope allows."""
        repo = self.repository(uow.session)
        found: Page[T] = scope.page(customer_id, lambda own: repo.page(request, customer_id=own, **filters))
        return found
