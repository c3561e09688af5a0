"""A payment intent's life: one state machine, the checks before any money moves, and the events a
change raises. Pure: no Flask, no SQLAlchemy, no provider I/O (providers' answers come in as data).

States (`payments.domain.intent_states`; the provider adapters map theirs onto these):

    requires_payment_method ─► requires_action ─► processing ─► requires_capture ─► succeeded
             │                       │                │               │
             └───────────────────────┴────────────────┴───────────────┴─► failed | canceled

An intent pays an order (`order_id`, created through the API with the payer present), an open
invoice the payer chose to pay (`invoice_id`, with its order's id when it is an order's invoice,
its subscription's when a renewal's; `attempt` None), or a subscription's renewal invoice
(`invoice_id`, `subscription_id`, `attempt`; `order_id` None), created from InvoicePaymentRequested
and charged *off-session*: nobody is there to complete 3DS, so
a provider asking for authentication fails the intent with `authentication_required`.

Nothing leaves `succeeded` but refunds (and a dispute flag). `failed` and `canceled` are final for
our API; the one exception is a success the provider reports for a failed intent (the customer
completed the payment with the provider after all): money moved, so the record says so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from billing_shared.commands import given
from billing_shared.errors import FieldError, Problem
from billing_shared.events.domain import DomainEvent
from payments.domain.commands import CreateIntent, RequestRenewalCharge
from payments.domain.intent_states import (
    CANCELED,
    FAILED,
    PROCESSING,
    REQUIRES_ACTION,
    REQUIRES_CAPTURE,
    REQUIRES_PAYMENT_METHOD,
    SUCCEEDED,
)
from payments.domain.invoices import InvoiceView
from payments.domain.orders import OrderView
from payments.domain.payment_methods import ChargedWith
from payments.domain.payment_provider import ProviderIntent

STATUSES = (
    REQUIRES_PAYMENT_METHOD,
    REQUIRES_ACTION,
    PROCESSING,
    REQUIRES_CAPTURE,
    SUCCEEDED,
    FAILED,
    CANCELED,
)
TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELED})
# Live: still holds its order (may yet take, or has taken, money). One live intent per order.
LIVE = frozenset(STATUSES) - {FAILED, CANCELED}
# How far along the happy path a state is: an answer never moves an intent backwards.
RANK = {REQUIRES_PAYMENT_METHOD: 0, REQUIRES_ACTION: 1, PROCESSING: 2, REQUIRES_CAPTURE: 3}

CAPTURE_METHODS = ("automatic", "manual")

# The "user-facing" reason shown when the provider gave none.
GENERIC_DECLINE = "The payment was declined. Try another payment method."


@dataclass(frozen=True)
class NextActionView:
    type: str  # "three_ds" | "redirect"
    url: str


# Off-session there is no payer to authenticate: a provider asking for it is a failure.
AUTHENTICATION_REQUIRED = "authentication_required"
AUTHENTICATION_REQUIRED_MESSAGE = (
    "The card issuer asks for the customer's authentication (3D Secure), which an automatic "
    "renewal charge cannot complete. The customer needs to pay, or update the payment method."
)
# The API client recorded on intents created from InvoicePaymentRequested.
INVOICING_CLIENT = "billing:invoicing"
# The failure code of a renewal intent whose gateway is not configured in this environment: it is
# recorded failed at once (no provider was called, no money can have moved).
GATEWAY_NOT_CONFIGURED = "gateway_not_configured"
# ... and of one whose saved method was detached when the customer has no default either.
NO_PAYMENT_METHOD = "no_payment_method"
# ... and of one whose invoice another live intent holds, in flight or succeeded (one per invoice).
PAYMENT_IN_PROGRESS = "payment_in_progress"
ALREADY_PAID = "invoice_already_paid"
# The versions of the events payments publishes (v2: an intent may pay a renewal invoice).
EVENT_VERSION = 2


@dataclass(frozen=True)
class PaymentIntent:
    id: str
    order_id: str | None
    customer_id: str
    amount: int
    currency: str
    status: str
    gateway_id: str
    capture_method: str
    payment_method_token: str
    client_id: str
    created_at: datetime
    updated_at: datetime
    gateway_reference: str | None = None
    client_secret: str | None = None
    next_action: NextActionView | None = None
    return_url: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    amount_refunded: int = 0
    disputed: bool = False
    provider_pending: bool = True
    idempotency_key: str | None = None
    invoice_id: str | None = None
    subscription_id: str | None = None
    attempt: int | None = None
    off_session: bool = False
    # A saved method's id (ours) and the provider's customer it is saved for; None with a token.
    payment_method_id: str | None = None
    provider_customer: str | None = None
    save_for_future: bool = False
    version: int = 1

    @property
    def live(self) -> bool:
        return self.status in LIVE

    @property
    def refundable(self) -> int:
        """What is left to refund (refunds still in flight are the caller's to subtract)."""
        return self.amount - self.amount_refunded if self.status == SUCCEEDED else 0

    @property
    def allowed_actions(self) -> list[str]:
        """What a client may do next: shown on every intent as `allowedActions`."""
        if self.provider_pending:
            return []  # the gateway has not answered yet: poll
        if self.status in (REQUIRES_PAYMENT_METHOD, REQUIRES_ACTION):
            return ["cancel"]
        if self.status == REQUIRES_CAPTURE:
            return ["capture", "cancel"]
        if self.status == SUCCEEDED and self.refundable > 0:
            return ["refund"]
        return []

    def event_base(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "orderId": self.order_id,
            "customerId": self.customer_id,
            "amount": self.amount,
            "currency": self.currency,
        }

    def links(self) -> dict[str, Any]:
        """What a renewal charge pays (all None for an order's payment)."""
        return {"invoiceId": self.invoice_id, "subscriptionId": self.subscription_id}

    def provider_metadata(self) -> dict[str, str]:
        """What the provider's record of the payment is tagged with: reconciliation and a human at
        the provider's dashboard find our intent, its order or its invoice by it."""
        if self.order_id is not None:
            return {"paymentIntentId": self.id, "orderId": self.order_id, "customerId": self.customer_id}
        return {
            "paymentIntentId": self.id,
            "invoiceId": self.invoice_id or "",
            "subscriptionId": self.subscription_id or "",
            "attempt": str(self.attempt or ""),
            "customerId": self.customer_id,
        }

    def made_for(self, cmd: CreateIntent, gateway_id: str) -> bool:
        """Whether this intent is what `cmd` asks for: a retry under the same Idempotency-Key must
        be the same request, or it is refused rather than resumed."""
        token = None if self.payment_method_id else self.payment_method_token
        return (
            (self.order_id if cmd.invoice_id is None else None),
            (self.invoice_id if cmd.invoice_id is not None else None),
            self.amount,
            self.currency,
            token,
            self.payment_method_id,
            self.save_for_future,
            self.gateway_id,
            self.capture_method,
            self.return_url,
        ) == (
            cmd.order_id,
            cmd.invoice_id,
            cmd.amount,
            cmd.currency,
            cmd.payment_method_token,
            cmd.payment_method_id,
            cmd.save_payment_method,
            gateway_id,
            cmd.capture_method,
            cmd.return_url,
        )

    @property
    def charged_with(self) -> ChargedWith:
        return ChargedWith(self.payment_method_token, self.payment_method_id, self.provider_customer)

    @property
    def method_to_reuse(self) -> str:
        """What a later charge may name to pay the same way (PaymentSucceeded's `paymentMethodToken`):
        the saved method's id, else the token."""
        return self.payment_method_id or self.payment_method_token


# -- before any money moves ------------------------------------------------------------------


def check_payable(order: OrderView, *, amount: int, currency: str) -> None:
    """The server-side checks of a new intent against the order as payments knows it. Each
    refusal is a 422 naming the field to fix; none of them ever reaches a provider."""
    if order.total == 0:
        raise Problem(
            422,
            f"Order '{order.id}' has a total of 0: it needs no payment (it is paid at once).",
            errors=[FieldError("orderId", "needs no payment (total 0)")],
        )
    if order.status == "cancelled":
        raise Problem(
            422, f"Order '{order.id}' is cancelled.", errors=[FieldError("orderId", "order is cancelled")]
        )
    if order.status != "draft":
        raise Problem(
            422,
            f"Order '{order.id}' is already paid.",
            errors=[FieldError("orderId", "order is already paid")],
        )
    errors = []
    if currency != order.currency:
        errors.append(FieldError("currency", f"must be the order's currency, {order.currency}"))
    if amount != order.total:
        errors.append(FieldError("amount", f"must equal the order's total, {order.total} (minor units)"))
    if errors:
        names = " and ".join(e.field for e in errors)
        raise Problem(422, f"The {names} must match order '{order.id}'.", errors=errors)


@dataclass(frozen=True)
class Payable:
    """What a payer's intent pays: an order, or an open invoice (an order's: paying it pays the
    order too; or a subscription's), and whose it is."""

    customer_id: str
    order_id: str | None = None
    invoice_id: str | None = None
    subscription_id: str | None = None

    @classmethod
    def of_order(cls, order: OrderView) -> Payable:
        return cls(order.customer_id, order_id=order.id)

    @classmethod
    def of_invoice(cls, invoice: InvoiceView) -> Payable:
        return cls(invoice.customer_id, invoice.order_id, invoice.id, invoice.subscription_id)


def live_conflict(existing: PaymentIntent) -> Problem:
    held = f"Invoice '{existing.invoice_id}'" if existing.invoice_id else f"Order '{existing.order_id}'"
    return Problem(
        409,
        f"{held} already has a live payment intent, '{existing.id}' "
        f"({existing.status}); use it, or cancel it before creating another.",
        extra={"paymentIntentId": existing.id},
    )


def create(
    *,
    intent_id: str,
    payable: Payable,
    amount: int,
    currency: str,
    gateway_id: str,
    charged_with: ChargedWith,
    capture_method: str,
    return_url: str | None,
    save_for_future: bool = False,
    client_id: str,
    idempotency_key: str | None,
    now: datetime,
) -> tuple[PaymentIntent, list[DomainEvent]]:
    """A new intent, before the provider has heard of it: it holds its order or invoice from this
    moment."""
    intent = PaymentIntent(
        id=intent_id,
        order_id=payable.order_id,
        invoice_id=payable.invoice_id,
        subscription_id=payable.subscription_id,
        customer_id=payable.customer_id,
        amount=amount,
        currency=currency,
        status=REQUIRES_PAYMENT_METHOD,
        gateway_id=gateway_id,
        capture_method=capture_method,
        payment_method_token=charged_with.token,
        payment_method_id=charged_with.payment_method_id,
        provider_customer=charged_with.provider_customer,
        save_for_future=save_for_future,
        client_id=client_id,
        idempotency_key=idempotency_key,
        return_url=return_url,
        created_at=now,
        updated_at=now,
    )
    return intent, [_created_event(intent)]


def _created_event(intent: PaymentIntent) -> DomainEvent:
    data = (
        intent.event_base()
        | {"status": intent.status, "gatewayId": intent.gateway_id}
        | intent.links()
        | {"attempt": intent.attempt, "offSession": intent.off_session}
    )
    return DomainEvent("PaymentIntentCreated", intent.id, data, version=EVENT_VERSION)


def create_renewal(
    intent_id: str, charge: RequestRenewalCharge, charged_with: ChargedWith, gateway_id: str, now: datetime
) -> tuple[PaymentIntent, list[DomainEvent]]:
    """A renewal invoice's off-session charge (InvoicePaymentRequested), before the provider has
    heard of it. The invoicing service decided the amount; the method is the one it named, as
    payments resolved it (`renewals.method_for`); there is no order and no payer."""
    intent = PaymentIntent(
        id=intent_id,
        order_id=None,
        status=REQUIRES_PAYMENT_METHOD,
        capture_method="automatic",
        client_id=INVOICING_CLIENT,
        created_at=now,
        updated_at=now,
        off_session=True,
        **given(charge, but=("payment_method_token", "gateway_id")),
        gateway_id=gateway_id,
        payment_method_token=charged_with.token,
        payment_method_id=charged_with.payment_method_id,
        provider_customer=charged_with.provider_customer,
    )
    return intent, [_created_event(intent)]


# -- the provider's answers --------------------------------------------------------------------


def _outcome_events(before: PaymentIntent, after: PaymentIntent) -> list[DomainEvent]:
    if after.status == before.status:
        return []
    outcome_fields = after.links() | {
        "attempt": after.attempt,
        "paymentMethodToken": after.method_to_reuse,
    }
    if after.status == SUCCEEDED:
        data = (
            after.event_base()
            | {"gatewayId": after.gateway_id, "gatewayReference": after.gateway_reference or ""}
            | outcome_fields
        )
        return [DomainEvent("PaymentSucceeded", after.id, data, version=EVENT_VERSION)]
    if after.status == FAILED:
        data = (
            after.event_base()
            | {
                "gatewayId": after.gateway_id,
                "failureCode": after.failure_code,
                "failureMessage": after.failure_message,
            }
            | outcome_fields
        )
        return [DomainEvent("PaymentFailed", after.id, data, version=EVENT_VERSION)]
    return []


def may_move(current: str, new: str) -> bool:
    """Whether an answer saying `new` may change an intent that is `current`: never backwards,
    never out of a final state, except a provider-confirmed success (see the module docstring)."""
    if current == new:
        return False
    if new == SUCCEEDED:
        return current != CANCELED
    if current in TERMINAL:
        return False
    if new in TERMINAL:
        return True
    return RANK[new] > RANK[current]


def _moved(intent: PaymentIntent, status: str, now: datetime, **changes: Any) -> PaymentIntent:
    if status == SUCCEEDED:
        changes |= {"failure_code": None, "failure_message": None, "next_action": None}
    elif status in TERMINAL:
        changes |= {"next_action": None}
    return replace(intent, status=status, updated_at=now, version=intent.version + 1, **changes)


def apply_answer(
    intent: PaymentIntent, answer: ProviderIntent, now: datetime
) -> tuple[PaymentIntent, list[DomainEvent]]:
    """Record what the provider said to a create, capture, cancel or retrieve call."""
    changes: dict[str, Any] = {}
    if intent.provider_pending:
        changes = {
            "provider_pending": False,
            "gateway_reference": answer.reference,
            "client_secret": answer.client_secret,
        }
    status = answer.status if answer.status in STATUSES else intent.status
    if status == REQUIRES_ACTION and intent.off_session:
        # Nobody is there to authenticate: the charge cannot complete, say why.
        status = FAILED
        answer = replace(
            answer,
            failure_code=AUTHENTICATION_REQUIRED,
            failure_message=AUTHENTICATION_REQUIRED_MESSAGE,
            next_action=None,
        )
    if not may_move(intent.status, status):
        if not changes:
            return intent, []
        return replace(intent, updated_at=now, version=intent.version + 1, **changes), []
    if status == FAILED:
        changes |= {
            "failure_code": answer.failure_code or "payment_failed",
            "failure_message": answer.failure_message or GENERIC_DECLINE,
        }
    if answer.next_action is not None and status == REQUIRES_ACTION:
        changes["next_action"] = NextActionView(answer.next_action.type, answer.next_action.url)
    after = _moved(intent, status, now, **changes)
    return after, _outcome_events(intent, after)


def refused(
    intent: PaymentIntent, *, code: str | None, message: str, now: datetime
) -> tuple[PaymentIntent, list[DomainEvent]]:
    """The provider refused the create outright (a 4xx: it took no money): the intent failed."""
    after = _moved(
        intent,
        FAILED,
        now,
        provider_pending=False,
        failure_code=code or "payment_refused",
        failure_message=(message or GENERIC_DECLINE)[:500],
    )
    return after, _outcome_events(intent, after)


def apply_payment_outcome(
    intent: PaymentIntent,
    *,
    succeeded: bool,
    failure_code: str | None,
    failure_message: str | None,
    now: datetime,
) -> tuple[PaymentIntent, list[DomainEvent]]:
    """A verified webhook saying the payment succeeded or failed. A delivery repeated, or one that
    arrives after a later state, changes nothing."""
    status = SUCCEEDED if succeeded else FAILED
    if not may_move(intent.status, status):
        return intent, []
    changes: dict[str, Any] = {}
    if not succeeded:
        changes = {
            "failure_code": failure_code or "payment_failed",
            "failure_message": (failure_message or GENERIC_DECLINE)[:500],
        }
    after = _moved(intent, status, now, **changes)
    return after, _outcome_events(intent, after)


def mark_disputed(
    intent: PaymentIntent, amount: int | None, now: datetime
) -> tuple[PaymentIntent, list[DomainEvent]]:
    """The customer disputed the payment with their bank: flagged once, PaymentDisputed once."""
    if intent.disputed or intent.status != SUCCEEDED:
        return intent, []
    after = replace(intent, disputed=True, updated_at=now, version=intent.version + 1)
    data = after.event_base() | {"amount": amount if amount and amount > 0 else intent.amount} | after.links()
    return after, [DomainEvent("PaymentDisputed", intent.id, data, version=EVENT_VERSION)]


# -- what a client may ask -----------------------------------------------------------------------


def check_capturable(intent: PaymentIntent) -> None:
    if intent.status != REQUIRES_CAPTURE or intent.provider_pending:
        raise Problem(
            409,
            f"Payment intent '{intent.id}' is {intent.status}; "
            "only one that requires capture can be captured.",
        )


def check_cancelable(intent: PaymentIntent) -> None:
    if intent.provider_pending:
        raise Problem(
            409,
            f"Payment intent '{intent.id}' is waiting for the gateway's answer; retry shortly.",
            headers={"Retry-After": "1"},
        )
    if "cancel" not in intent.allowed_actions:
        raise Problem(409, f"Payment intent '{intent.id}' is {intent.status} and can no longer be canceled.")
