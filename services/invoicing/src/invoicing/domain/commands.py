"""What callers ask of the invoicing service: one command or query per use case
(`invoicing.service_layer`). The API builds them from requests, `handlers.py` from events (reading
only what each event's contract promises: the inbox has dead-lettered any event that breaks it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from billing_shared.auth.scope import CustomerScope
from billing_shared.commands import OnResource
from billing_shared.concurrency import IfMatch
from invoicing.domain.subscription_changes import ItemRequest

# -- invoices ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateInvoice:
    """The order's one invoice, drafted from the order projection if it has none yet."""

    scope: CustomerScope
    order_id: str


@dataclass(frozen=True)
class CreateManualInvoice:
    """POST /Invoices {customerId, includePendingItems: true}: a draft of the customer's pending
    one-off items now (in `currency`, needed only when they are in several)."""

    scope: CustomerScope
    customer_id: str
    currency: str | None = None


@dataclass(frozen=True)
class CreateInvoiceItem:
    """A one-off charge, pending until an invoice takes it: `amount` is quantity 1 at that price."""

    scope: CustomerScope
    customer_id: str
    description: str
    currency: str
    quantity: int
    unit_price: int
    tax_category: str | None = None


@dataclass(frozen=True)
class AnnotateInvoice:
    """PATCH /Invoices/{id}: a draft's memo and footer (a key absent: unchanged; null: cleared)."""

    scope: CustomerScope
    invoice_id: str
    changes: dict[str, str | None]
    if_match: IfMatch | None = None


# -- credit notes -----------------------------------------------------------------------------------


# -- subscriptions and the recurring biller ---------------------------------------------------------


@dataclass(frozen=True)
class StartSubscription:
    scope: CustomerScope
    order_id: str


@dataclass(frozen=True)
class ChangePaymentMethod:
    """The saved payment method (a gateway token): dunning retries charge the new one."""

    scope: CustomerScope
    subscription_id: str
    gateway_id: str
    payment_method_token: str
    if_match: IfMatch | None = None


@dataclass(frozen=True)
class CancelSubscription:
    """`at_period_end`: stop when the period ends. Otherwise: a scheduled cancellation is taken
    back when `prorate` is None (not given); with `prorate` given it ends now, crediting the
    unused time when true."""

    scope: CustomerScope
    subscription_id: str
    at_period_end: bool = False
    prorate: bool | None = None
    if_match: IfMatch | None = None


@dataclass(frozen=True)
class PauseSubscription:
    scope: CustomerScope
    subscription_id: str
    resumes_at: datetime | None
    if_match: IfMatch | None = None


@dataclass(frozen=True)
class ResumeSubscription:
    scope: CustomerScope
    subscription_id: str
    if_match: IfMatch | None = None


@dataclass(frozen=True)
class ChangeSubscription:
    """PATCH /Subscriptions/{id} (`preview`: POST .../preview-change, which makes nothing)."""

    scope: CustomerScope
    subscription_id: str
    items: list[ItemRequest]
    proration_behavior: str
    proration_date: datetime | None
    preview: bool = False
    if_match: IfMatch | None = None


@dataclass(frozen=True)
class RunBilling:
    as_of: datetime
    by_admin: bool  # the caller holds the admin scope: billing runs are the operator's


# -- what other services' events tell invoicing ------------------------------------------------------
# `handlers.py` reads them from the events' data by field name (`billing_shared.events.reading`);
# a field that only a later version of an event carries is typed `| None`.


@dataclass(frozen=True)
class RecordCustomer:
    """CustomerCreated / CustomerUpdated: the whole customer as published (camelCase, with its
    `version`), the buyer of every document."""

    customer: dict[str, Any]

    @classmethod
    def from_event(cls, data: dict[str, Any]) -> RecordCustomer:
        return cls({k: v for k, v in data.items() if k != "changed"})


@dataclass(frozen=True)
class RecordOrder:
    """OrderCreated: the priced order, kept so its invoice can be drafted at any later time."""

    order_id: str
    customer_id: str
    currency: str
    total: int
    status: str
    priced: dict[str, Any]  # PricedOrder data as orders published it (lines, totals, coupon code)
    billing_cycle: dict[str, Any] | None  # v2 only: a v1 order starts no subscription
    coupon: dict[str, Any] | None  # v2 only: the coupon's terms, for the renewals
    trial: dict[str, Any] | None = None  # v3: {days, trialEnd, paymentMethodId, gatewayId, plan}

    @classmethod
    def from_event(cls, data: dict[str, Any]) -> RecordOrder:
        figures = ("currency", "lines", "subtotal", "discountTotal", "taxTotal", "total", "couponCode")
        return cls(
            order_id=data["id"],
            customer_id=data["customerId"],
            currency=data["currency"],
            total=data["total"],
            status=data["status"],
            priced={k: data[k] for k in figures},
            billing_cycle=data.get("billingCycle"),
            coupon=data.get("coupon"),
            trial=data.get("trial"),
        )


@dataclass(frozen=True)
class RecordOrderPaid:
    order_id: str
    payment_intent_id: str | None  # None: a total of 0, paid without a payment


@dataclass(frozen=True)
class RecordOrderCancelled:
    order_id: str


@dataclass(frozen=True)
class ApplyPayment:
    """PaymentSucceeded: an order's payment, or (v2, `order_id` None) a renewal charge's."""

    payment_intent_id: str
    order_id: str | None
    invoice_id: str | None  # v2: the renewal invoice the charge pays
    amount: int
    gateway_id: str
    payment_method_token: str | None  # v2: saved by the order's subscription for renewals


@dataclass(frozen=True)
class ApplyPaymentFailure:
    """PaymentFailed: only a renewal charge's (v2, naming its invoice) concerns invoicing."""

    payment_intent_id: str
    order_id: str | None
    invoice_id: str | None
    attempt: int | None  # which charge of the period this answers (v2; null for an order's)
    failure_code: str


@dataclass(frozen=True)
class CreditRefund:
    """PaymentRefunded: this refund's amount and the payment's running refunded total."""

    payment_intent_id: str
    order_id: str | None
    invoice_id: str | None  # v2: names a renewal invoice
    refund_id: str
    amount: int
    amount_refunded: int


@dataclass(frozen=True)
class FlagDispute:
    """PaymentDisputed: a chargeback was opened on the payment."""

    payment_intent_id: str
    order_id: str | None
    invoice_id: str | None


@dataclass(frozen=True)
class PayOutOfBand:
    """The merchant records an open invoice as paid outside any gateway."""

    on: OnResource
    reference: str | None
