"""The one declarative routing table: first path segment after /api/v1 -> owning service + scopes.

GET/HEAD need `<family>:read`, every other method `<family>:write`. Adding a resource is one line.
"""

from __future__ import annotations

from dataclasses import dataclass

API_PREFIX = "/api/v1/"


@dataclass(frozen=True, slots=True)
class Route:
    resource: str
    service: str
    family: str
    read_scope: str
    write_scope: str

    def scope_for(self, method: str) -> str:
        return self.read_scope if method in ("GET", "HEAD") else self.write_scope


def _table(rows: list[tuple[str, str, str]]) -> dict[str, Route]:
    return {r: Route(r, service, family, f"{family}:read", f"{family}:write") for r, service, family in rows}


ROUTES: dict[str, Route] = _table(
    [
        ("Customers", "customers", "customers"),
        ("Products", "orders", "catalog"),
        ("Currencies", "orders", "catalog"),
        ("BillingCycles", "orders", "catalog"),
        ("TaxRules", "orders", "catalog"),
        ("Coupons", "orders", "catalog"),
        ("Orders", "orders", "orders"),
        ("PaymentGateways", "payments", "payments"),
        ("PaymentIntents", "payments", "payments"),
        ("PaymentMethods", "payments", "payments"),
        ("SetupIntents", "payments", "payments"),
        ("Refunds", "payments", "payments"),
        ("Reconciliation", "payments", "payments"),  # admin-only: the service checks the scope
        ("Invoices", "invoicing", "invoices"),
        ("CreditNotes", "invoicing", "invoices"),
        ("InvoiceSettings", "invoicing", "invoices"),  # changes are admin-only: the service checks
        ("CustomerBalanceTransactions", "invoicing", "invoices"),
        ("InvoiceItems", "invoicing", "invoices"),  # the merchant's only: the service checks
        ("Subscriptions", "invoicing", "subscriptions"),
        ("SubscriptionBillingHistories", "invoicing", "subscriptions"),
        ("SubscriptionBillingRuns", "invoicing", "subscriptions"),  # admin-only: the service checks
    ]
)


def is_public(method: str, resource: str, rest: str) -> bool:
    """Routes that carry no token: the service verifies them itself (gateway webhook signatures,
    the signed expiring token of a hosted invoice page).

    `rest` is the path after `/api/v1/<resource>/`; a webhook is exactly `POST {id}/webhooks`, a
    hosted invoice exactly `GET hosted/{token}` or `GET hosted/{token}/pdf`, and the checkout its Pay
    button leads to exactly `GET` or `POST PaymentIntents/hosted/{token}`.
    """
    if method == "GET" and resource == "Invoices":
        return _is_hosted_invoice(rest)
    if method in ("GET", "POST") and resource == "PaymentIntents":
        return _is_hosted_checkout(rest)
    if method != "POST" or resource != "PaymentGateways":
        return False
    gateway_id, sep, tail = rest.partition("/")
    return bool(gateway_id) and sep == "/" and tail == "webhooks"


def _is_hosted_checkout(rest: str) -> bool:
    parts = rest.split("/")
    return len(parts) == 2 and parts[0] == "hosted" and bool(parts[1])


def _is_hosted_invoice(rest: str) -> bool:
    parts = rest.split("/")
    return parts[0] == "hosted" and len(parts) in (2, 3) and bool(parts[1]) and parts[2:] in ([], ["pdf"])
