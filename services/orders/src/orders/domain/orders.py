"""An order's life: created priced (draft), then paid, refunded or cancelled; and its events.

The prices are the pricing rule's (`billing_shared.pricing`), computed once at creation and
kept with their trace; nothing later recomputes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from billing_shared.errors import Problem
from billing_shared.events.domain import DomainEvent
from billing_shared.pricing import LineInput, PricedOrder, TaxRate, price_order
from orders.domain.catalog import BillingCycle, Coupon
from orders.domain.decimals import canonical

DRAFT, PAID, PARTIALLY_REFUNDED, REFUNDED, CANCELLED = (
    "draft",
    "paid",
    "partially_refunded",
    "refunded",
    "cancelled",
)
STATUSES = (DRAFT, PAID, PARTIALLY_REFUNDED, REFUNDED, CANCELLED)

# What a client may do next, by status: shown on every order as `allowedActions`.
ALLOWED_ACTIONS: dict[str, tuple[str, ...]] = {
    DRAFT: ("pay", "cancel"),
    PAID: ("refund",),
    PARTIALLY_REFUNDED: ("refund",),
    REFUNDED: (),
    CANCELLED: (),
}


@dataclass(frozen=True)
class Order:
    id: str
    customer_id: str
    currency: str
    status: str
    priced: PricedOrder
    created_at: datetime
    updated_at: datetime
    billing_cycle_id: str | None = None
    coupon_id: str | None = None
    coupon_code: str | None = None
    amount_refunded: int = 0
    payment_intent_ids: list[str] = field(default_factory=list)
    invoice_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    version: int = 1
    paid_at: datetime | None = None
    cancelled_at: datetime | None = None
    # A trial (TrialTerms.data()): the order itself is the zero trial invoice; `plan` is what the
    # subscription bills once the trial ends.
    trial: dict[str, Any] | None = None
    # Each line's product name and description as they were when ordered (aligned with the lines):
    # documents show them, and a later rename never changes them.
    line_texts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.priced.total

    @property
    def allowed_actions(self) -> list[str]:
        return list(ALLOWED_ACTIONS[self.status])

    def event_data(self) -> dict[str, Any]:
        """The whole priced order (without the trace), so subscribers need not call back."""
        priced = self.priced.to_dict()
        priced.pop("trace", None)
        priced["lines"] = with_texts(priced["lines"], self.line_texts)
        return priced | {
            "id": self.id,
            "customerId": self.customer_id,
            "status": self.status,
            "billingCycleId": self.billing_cycle_id,
            "couponCode": self.coupon_code,
            "createdAt": self.created_at.isoformat(),
        }


def with_texts(lines: list[dict[str, Any]], texts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Priced lines (`PricedLine.to_dict()`) with each one's name and description, when known."""
    return [line | (texts[i] if i < len(texts) else {}) for i, line in enumerate(lines)]


def line_texts(priced: PricedOrder, products: dict[str, Any]) -> list[dict[str, Any]]:
    """Each priced line's product name and description now (`products`: the catalog's records)."""
    return [
        {"name": products[line.product_id].name, "description": products[line.product_id].description}
        for line in priced.lines
    ]


def recurring_terms(cycle: BillingCycle | None, coupon: Coupon | None) -> dict[str, Any]:
    """What OrderCreated v2 adds: the cycle's interval and the coupon's terms, so the subscription a
    paid recurring order starts can price its renewals by the same rule without calling back."""
    return {
        "billingCycle": None
        if cycle is None
        else {"id": cycle.id, "intervalUnit": cycle.interval_unit, "intervalCount": cycle.interval_count},
        "coupon": None
        if coupon is None
        else {
            "code": coupon.code,
            "percentOff": None if coupon.percent_off is None else canonical(coupon.percent_off),
            "amountOff": coupon.amount_off,
            "productIds": coupon.product_ids,
            "duration": coupon.duration,
            "durationInCycles": coupon.duration_in_cycles,
        },
    }


def trial_days(asked: int | None, defaults: list[int | None]) -> int | None:
    """The order's trial: what it asks for (0: none), else the longest default of its recurring
    products, else none."""
    if asked is not None:
        return asked or None
    return max((d for d in defaults if d), default=None)


@dataclass(frozen=True)
class TrialTerms:
    days: int
    payment_method_id: str
    gateway_id: str


def trial_of(
    plan: PricedOrder, terms: TrialTerms, now: datetime, texts: list[dict[str, Any]]
) -> tuple[PricedOrder, dict[str, Any]]:
    """A trial order's own pricing (the plan's lines at 0: the zero trial invoice) and the trial
    as OrderCreated v3 and the order carry it, with the plan's real lines for the subscription."""
    zero = price_order(
        plan.currency,
        [
            LineInput(
                line.product_id,
                line.quantity,
                0,
                TaxRate(line.tax_rule_id, line.tax_name or "", line.tax_rate, line.tax_inclusive)
                if line.tax_rule_id
                else None,
            )
            for line in plan.lines
        ],
    )
    kept = plan.to_dict()
    kept.pop("trace", None)
    kept["lines"] = with_texts(kept["lines"], texts)
    trial = {
        "days": terms.days,
        "trialEnd": (now + timedelta(days=terms.days)).isoformat(),
        "paymentMethodId": terms.payment_method_id,
        "gatewayId": terms.gateway_id,
        "plan": kept,
    }
    return zero, trial


def create(
    *,
    order_id: str,
    customer_id: str,
    priced: PricedOrder,
    now: datetime,
    billing_cycle: BillingCycle | None,
    coupon: Coupon | None,
    metadata: dict[str, str],
    trial: dict[str, Any] | None = None,
    texts: list[dict[str, Any]] | None = None,
) -> tuple[Order, list[DomainEvent]]:
    """A new order. One whose total is 0 needs no payment: it is paid at once (a trial's too)."""
    order = Order(
        id=order_id,
        customer_id=customer_id,
        currency=priced.currency,
        status=DRAFT,
        priced=priced,
        created_at=now,
        updated_at=now,
        billing_cycle_id=billing_cycle.id if billing_cycle else None,
        coupon_id=coupon.id if coupon else None,
        coupon_code=coupon.code if coupon else priced.coupon_code,
        metadata=dict(metadata),
        trial=trial,
        line_texts=list(texts or []),
    )
    data = order.event_data() | recurring_terms(billing_cycle, coupon) | {"trial": trial}
    events = [DomainEvent("OrderCreated", order.id, data, version=4)]
    if order.total == 0:
        order, paid = mark_paid(order, payment_intent_id=None, amount=0, now=now)
        events += paid
    return order, events


def cancel(order: Order, now: datetime) -> tuple[Order, list[DomainEvent]]:
    if order.status == CANCELLED:
        return order, []
    if order.status != DRAFT:
        raise Problem(409, f"Only a draft order can be cancelled; this one is {order.status}.")
    done = replace(order, status=CANCELLED, cancelled_at=now, updated_at=now, version=order.version + 1)
    data = {"id": order.id, "customerId": order.customer_id, "cancelledAt": now.isoformat()}
    return done, [DomainEvent("OrderCancelled", order.id, data)]


def mark_paid(
    order: Order, *, payment_intent_id: str | None, amount: int, now: datetime
) -> tuple[Order, list[DomainEvent]]:
    """Paid by a succeeded payment (or at once when the total is 0). Paying twice changes nothing."""
    if order.status != DRAFT:
        return order, []
    intents = order.payment_intent_ids
    if payment_intent_id and payment_intent_id not in intents:
        intents = [*intents, payment_intent_id]
    done = replace(
        order, status=PAID, paid_at=now, updated_at=now, version=order.version + 1, payment_intent_ids=intents
    )
    data = {
        "id": order.id,
        "customerId": order.customer_id,
        "currency": order.currency,
        "total": order.total,
        "amountPaid": amount,
        "paymentIntentId": payment_intent_id,
        "billingCycleId": order.billing_cycle_id,
        "paidAt": now.isoformat(),
    }
    return done, [DomainEvent("OrderPaid", order.id, data)]


def record_refund(order: Order, refunded_so_far: int, now: datetime) -> Order:
    """Refunds move a paid order to partially_refunded, then refunded once all was given back.

    `refunded_so_far` is the payment's total refunded (PaymentRefunded's `amountRefunded`), not one
    refund's amount: a total never double-counts, and an older event (a smaller total) changes nothing.
    """
    refunded = min(order.total, refunded_so_far)
    if order.status not in (PAID, PARTIALLY_REFUNDED) or refunded <= order.amount_refunded:
        return order
    status = REFUNDED if refunded >= order.total else PARTIALLY_REFUNDED
    return replace(order, amount_refunded=refunded, status=status, updated_at=now, version=order.version + 1)


def add_payment_intent(order: Order, payment_intent_id: str, now: datetime) -> Order:
    if payment_intent_id in order.payment_intent_ids:
        return order
    return replace(order, payment_intent_ids=[*order.payment_intent_ids, payment_intent_id], updated_at=now)


def set_invoice(order: Order, invoice_id: str, now: datetime) -> Order:
    if order.invoice_id == invoice_id:
        return order
    return replace(order, invoice_id=invoice_id, updated_at=now)
