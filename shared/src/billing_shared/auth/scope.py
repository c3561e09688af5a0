"""Whose data a caller sees: a customer-role token only its own customer's, the merchant's API
clients everyone's. One rule for every service: another customer's resource is a 404 (never a 403,
which would confirm that the id exists), and a list asked for another customer is empty."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from billing_shared.auth.principal import Principal
from billing_shared.errors import Problem, not_found
from billing_shared.paging import Page


class Owned(Protocol):
    @property
    def customer_id(self) -> str: ...


T = TypeVar("T", bound=Owned)
R = TypeVar("R")


@dataclass(frozen=True)
class CustomerScope:
    customer_id: str | None = None  # None: the merchant, who sees every customer

    @classmethod
    def of(cls, principal: Principal) -> CustomerScope:
        return cls(principal.customer_id if principal.is_customer else None)

    def sees(self, customer_id: str) -> bool:
        return self.customer_id is None or self.customer_id == customer_id

    def visible(self, found: T | None, kind: str, ident: str) -> T:
        """The resource, or 404 when it does not exist or is another customer's."""
        if found is None or not self.sees(found.customer_id):
            raise not_found(kind, ident)
        return found

    def page(self, requested: str | None, fetch: Callable[[str | None], Page[R]]) -> Page[R]:
        """`fetch(customer_id filter)` with a customer token's own id; an empty page when it asked
        for another customer's (not an error: the list of what it may see is empty)."""
        if self.customer_id is None:
            return fetch(requested)
        if requested and requested != self.customer_id:
            return Page.empty()
        return fetch(self.customer_id)

    def require_merchant(self, action: str) -> None:
        """Some decisions are the merchant's only (refunds, voids, sending): 403 for a customer token."""
        if self.customer_id is not None:
            raise Problem(403, f"A customer token cannot {action}; the merchant's API client can.")
