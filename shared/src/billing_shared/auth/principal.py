"""Who is calling: the verified facts of a token, in the shape every service reads."""

from __future__ import annotations

from dataclasses import dataclass

ROLE_CLIENT = "client"
ROLE_CUSTOMER = "customer"


@dataclass(frozen=True)
class Principal:
    subject: str
    client_id: str
    scopes: frozenset[str]
    role: str  # "client" | "customer"
    customer_id: str | None
    token_id: str
    expires_at: int

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def is_customer(self) -> bool:
        """A customer-role caller may only see its own customer's data; services filter on it."""
        return self.role == ROLE_CUSTOMER
