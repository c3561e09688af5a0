"""The scope vocabulary: one list, so the gateway, the services and the docs agree on it."""

from __future__ import annotations

ADMIN = "admin"

ALL_SCOPES: tuple[str, ...] = (
    "customers:read",
    "customers:write",
    "catalog:read",
    "catalog:write",
    "orders:read",
    "orders:write",
    "orders:price_override",
    "payments:read",
    "payments:write",
    "invoices:read",
    "invoices:write",
    "subscriptions:read",
    "subscriptions:write",
    ADMIN,
)

# What a customer-role token may do; services further restrict it to that customer's own data.
CUSTOMER_SCOPES: tuple[str, ...] = (
    "customers:read",
    "customers:write",
    "orders:read",
    "orders:write",
    "payments:read",
    "payments:write",
    "invoices:read",
    "subscriptions:read",
    "subscriptions:write",  # its own subscriptions' payment method; the rest is the merchant's
    "catalog:read",
)


def parse(text: str | None) -> frozenset[str]:
    """Space-separated scope string (RFC 6749 §3.3) to a set; blanks and repeats collapse."""
    return frozenset(text.split()) if text else frozenset()


def unknown(scopes: frozenset[str] | set[str]) -> list[str]:
    return sorted(s for s in scopes if s not in ALL_SCOPES)


def format_scopes(scopes: frozenset[str] | set[str]) -> str:
    """Canonical order (that of ALL_SCOPES, unknown ones last) so equal sets print equally."""
    order = {s: i for i, s in enumerate(ALL_SCOPES)}
    return " ".join(sorted(scopes, key=lambda s: (order.get(s, len(order)), s)))
