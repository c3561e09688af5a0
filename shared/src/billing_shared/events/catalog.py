"""The event catalogue: each event's topic (one per aggregate) and its CloudEvents type.

A published event never changes shape: a change is a new version with its own schema in
`billing_shared/contracts/events/<Name>.v<N>.json`.
"""

from __future__ import annotations

TOPIC_CUSTOMERS = "billing.customers"
TOPIC_ORDERS = "billing.orders"
TOPIC_PAYMENTS = "billing.payments"
TOPIC_INVOICES = "billing.invoices"
TOPIC_SUBSCRIPTIONS = "billing.subscriptions"
TOPIC_CATALOG = "billing.catalog"

AGGREGATE_TOPICS = (
    TOPIC_CUSTOMERS,
    TOPIC_ORDERS,
    TOPIC_PAYMENTS,
    TOPIC_INVOICES,
    TOPIC_SUBSCRIPTIONS,
    TOPIC_CATALOG,
)
DLQ_SUFFIX = ".dlq"

# The one service that publishes on each topic (its aggregate's owner); every other service only reads it.
TOPIC_OWNERS: dict[str, str] = {
    TOPIC_CUSTOMERS: "customers",
    TOPIC_ORDERS: "orders",
    TOPIC_PAYMENTS: "payments",
    TOPIC_INVOICES: "invoicing",
    TOPIC_SUBSCRIPTIONS: "invoicing",
    TOPIC_CATALOG: "orders",
}

EVENT_TOPICS: dict[str, str] = {
    "CustomerCreated": TOPIC_CUSTOMERS,
    "CustomerUpdated": TOPIC_CUSTOMERS,
    "OrderCreated": TOPIC_ORDERS,
    "OrderCancelled": TOPIC_ORDERS,
    "OrderPaid": TOPIC_ORDERS,
    "ProductCreated": TOPIC_CATALOG,
    "ProductUpdated": TOPIC_CATALOG,
    "TaxRuleCreated": TOPIC_CATALOG,
    "TaxRuleUpdated": TOPIC_CATALOG,
    "PaymentIntentCreated": TOPIC_PAYMENTS,
    "PaymentSucceeded": TOPIC_PAYMENTS,
    "PaymentFailed": TOPIC_PAYMENTS,
    "PaymentRefunded": TOPIC_PAYMENTS,
    "PaymentDisputed": TOPIC_PAYMENTS,
    "PaymentMethodAttached": TOPIC_PAYMENTS,
    "PaymentMethodDetached": TOPIC_PAYMENTS,
    "PaymentMethodDefaultChanged": TOPIC_PAYMENTS,
    "InvoiceCreated": TOPIC_INVOICES,
    "InvoiceFinalized": TOPIC_INVOICES,
    "InvoiceSent": TOPIC_INVOICES,
    "CreditNoteIssued": TOPIC_INVOICES,
    "InvoicePaid": TOPIC_INVOICES,
    "InvoiceVoided": TOPIC_INVOICES,
    "InvoiceMarkedUncollectible": TOPIC_INVOICES,
    "InvoicePaymentRequested": TOPIC_INVOICES,
    "CustomerBalanceChanged": TOPIC_INVOICES,
    "SubscriptionCreated": TOPIC_SUBSCRIPTIONS,
    "SubscriptionRenewed": TOPIC_SUBSCRIPTIONS,
    "SubscriptionPastDue": TOPIC_SUBSCRIPTIONS,
    "SubscriptionRecovered": TOPIC_SUBSCRIPTIONS,
    "SubscriptionCancelled": TOPIC_SUBSCRIPTIONS,
    "SubscriptionUpdated": TOPIC_SUBSCRIPTIONS,
    "SubscriptionCancellationScheduled": TOPIC_SUBSCRIPTIONS,
    "SubscriptionTrialWillEnd": TOPIC_SUBSCRIPTIONS,
    "SubscriptionPaused": TOPIC_SUBSCRIPTIONS,
    "SubscriptionResumed": TOPIC_SUBSCRIPTIONS,
}

TYPE_PREFIX = "billing."
SCHEMA_BASE = "https://billing.dev/schemas/events/"


def ce_type(name: str, version: int) -> str:
    """`CustomerCreated`, 1 → `billing.CustomerCreated.v1`."""
    return f"{TYPE_PREFIX}{name}.v{version}"


def parse_ce_type(value: str) -> tuple[str, int] | None:
    if not value.startswith(TYPE_PREFIX):
        return None
    name, _, ver = value[len(TYPE_PREFIX) :].rpartition(".v")
    return (name, int(ver)) if name and ver.isdigit() else None


def dataschema(name: str, version: int) -> str:
    return f"{SCHEMA_BASE}{name}.v{version}.json"


def topic_of(name: str) -> str:
    try:
        return EVENT_TOPICS[name]
    except KeyError:
        raise ValueError(f"event '{name}' is not in the catalogue") from None


def all_topics() -> list[str]:
    return [*AGGREGATE_TOPICS, *(t + DLQ_SUFFIX for t in AGGREGATE_TOPICS)]
