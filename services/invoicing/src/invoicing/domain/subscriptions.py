"""Subscriptions: started by a paid recurring order, renewed once per period, cancelled on request
or when dunning gives up. Pure: no Flask, no SQL.

trialing ─► active (the trial ended: the biller bills the first period and charges it)
active ─► past_due (a renewal charge failed; dunning retries) ─► active (a retry succeeded)
   │            └──────────────────────────────────────────────► canceled (the last retry failed)
   └─► canceled (now, or at the period's end when asked so)

A trial's period is [start, trialEnd); billed periods are counted from the trial's end.

Renewals are priced by the platform's pricing rule (`price_order`) from the order's lines as
priced (unit prices and tax rates copied, never looked up again) and the coupon's terms while
its cycles remain. Periods are counted from the anchor (the start of the first period).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from billing_shared.errors import FieldError, Problem
from billing_shared.events.domain import DomainEvent
from billing_shared.pricing import CouponInput, LineInput, PricedOrder, TaxRate, combine, price_order
from invoicing.domain.invoices import PAID, Invoice
from invoicing.domain.periods import boundary, period_index

TRIALING, ACTIVE, PAST_DUE, PAUSED, CANCELED = "trialing", "active", "past_due", "paused", "canceled"
STATUSES = (TRIALING, ACTIVE, PAST_DUE, PAUSED, CANCELED)
BILLABLE = (TRIALING, ACTIVE, PAST_DUE)
REQUESTED, PAYMENT_FAILED, PERIOD_END = "requested", "payment_failed", "period_end"  # why it ended
TRIAL_WARNING = timedelta(days=3)  # SubscriptionTrialWillEnd comes this long before the trial ends


@dataclass(frozen=True)
class Subscription:
    id: str
    order_id: str
    customer_id: str
    currency: str
    items: list[dict[str, Any]]  # the order's lines as priced (PricedOrder line data)
    coupon: dict[str, Any] | None  # the coupon's terms as in OrderCreated v2
    coupon_cycles_remaining: int | None  # renewals the coupon still applies to; None: forever
    billing_cycle_id: str
    interval_unit: str
    interval_count: int
    status: str
    current_period_start: datetime
    current_period_end: datetime
    created_at: datetime  # also the anchor: the first period starts here
    updated_at: datetime
    cancel_at_period_end: bool = False
    canceled_at: datetime | None = None
    gateway_id: str | None = None
    payment_method_token: str | None = None
    version: int = 1
    # Proration lines (PricedOrder data, one per change made with `create_prorations`) that
    # join the next renewal invoice.
    pending_prorations: list[dict[str, Any]] | None = None
    trial_end: datetime | None = None
    trial_will_end_sent: bool = False
    paused_at: datetime | None = None
    resumes_at: datetime | None = None
    period_anchor: datetime | None = None  # set by a resumption: a new period started then

    @property
    def anchor(self) -> datetime:
        """Where billed periods are counted from: the last resumption, the trial's end, or the start."""
        return self.period_anchor or self.trial_end or self.created_at

    def period_start(self, k: int) -> datetime:
        return boundary(self.anchor, self.interval_unit, self.interval_count, k)

    def next_period(self) -> tuple[datetime, datetime]:
        """The period that follows the current one (after a trial: the first billed one)."""
        k = period_index(self.anchor, self.interval_unit, self.interval_count, self.current_period_end)
        return self.period_start(k), self.period_start(k + 1)

    def due(self, as_of: datetime) -> bool:
        return self.status in BILLABLE and not self.cancel_at_period_end and self.current_period_end <= as_of

    def resumes(self, as_of: datetime) -> bool:
        """Paused until a moment that has come by `as_of`."""
        return self.status == PAUSED and self.resumes_at is not None and self.resumes_at <= as_of

    def ends(self, as_of: datetime) -> bool:
        """Cancelled at the end of a period that is over by `as_of`."""
        return self.status in BILLABLE and self.cancel_at_period_end and self.current_period_end <= as_of

    @property
    def coupon_code(self) -> str | None:
        return self.coupon["code"] if self.coupon else None

    @property
    def cancel_at(self) -> datetime | None:
        """When a cancellation at the period's end takes effect."""
        return self.current_period_end if self.cancel_at_period_end and self.status != CANCELED else None

    @property
    def allowed_actions(self) -> list[str]:
        if self.status == CANCELED:
            return []
        if self.cancel_at_period_end:
            return ["cancel", "undo-cancel"]
        if self.status == PAUSED:
            return ["resume", "cancel"]
        if self.status == ACTIVE:
            return ["cancel", "update", "preview-change", "pause"]
        return ["cancel", "update", "preview-change"]

    def base_data(self) -> dict[str, Any]:
        return {"id": self.id, "customerId": self.customer_id, "status": self.status}


def _coupon_cycles(coupon: dict[str, Any] | None, *, first_paid: bool = True) -> int | None:
    """Renewals a coupon applies to after the first period, which the order itself paid
    (`first_paid`); after a trial the order paid nothing, so every cycle is still to come."""
    used = 1 if first_paid else 0
    if coupon is None:
        return 0
    if coupon["duration"] == "forever":
        return None
    if coupon["duration"] == "repeating":
        return max(int(coupon.get("durationInCycles") or 1) - used, 0)
    return 1 - used  # once: used by the order, or by the first period after a trial


def check_recurring(order: dict[str, Any]) -> None:
    """Only an order with a billing cycle starts a subscription (`order` is the projection)."""
    if not order.get("billing_cycle"):
        raise Problem(
            422,
            f"Order '{order['id']}' has no billing cycle: it starts no subscription.",
            errors=[FieldError("orderId", "not a recurring order")],
        )


def check_paid(order: dict[str, Any], invoice: Invoice | None) -> None:
    """A subscription starts once its order is paid: orders said so, or its invoice is paid
    (whichever event reached invoicing first)."""
    if order["status"] != "paid" and (invoice is None or invoice.status != PAID):
        raise Problem(
            409, f"Order '{order['id']}' is {order['status']}: a subscription starts once it is paid."
        )


def start(
    *,
    subscription_id: str,
    order: dict[str, Any],
    gateway_id: str | None,
    payment_method_token: str | None,
    now: datetime,
) -> tuple[Subscription, list[DomainEvent]]:
    """The subscription of a paid order that has a billing cycle (`order` is the projection)."""
    cycle = order.get("billing_cycle")
    if not cycle:
        raise Problem(422, f"Order '{order['id']}' has no billing cycle: it starts no subscription.")
    trial = order.get("trial")
    # A trial order's own lines are at 0: the subscription bills the plan once the trial ends.
    source = trial["plan"] if trial else order["priced"]
    priced = PricedOrder.from_dict(source)
    lines = [  # the items, each with its product's name as ordered
        line | {k: raw.get(k) for k in ("name", "description")}
        for line, raw in zip(priced.to_dict()["lines"], source["lines"], strict=True)
    ]
    cycles = _coupon_cycles(order.get("coupon"))
    trial_end = datetime.fromisoformat(trial["trialEnd"]) if trial else None
    if trial:  # the order paid nothing: the coupon's first cycle is the first billed period
        cycles = _coupon_cycles(order.get("coupon"), first_paid=False)
        gateway_id, payment_method_token = trial["gatewayId"], trial["paymentMethodId"]
    sub = Subscription(
        id=subscription_id,
        order_id=order["id"],
        customer_id=order["customer_id"],
        currency=priced.currency,
        items=lines,
        coupon=order.get("coupon"),
        coupon_cycles_remaining=cycles,
        billing_cycle_id=cycle["id"],
        interval_unit=cycle["intervalUnit"],
        interval_count=int(cycle["intervalCount"]),
        status=TRIALING if trial_end else ACTIVE,
        current_period_start=now,
        current_period_end=trial_end or boundary(now, cycle["intervalUnit"], int(cycle["intervalCount"]), 1),
        created_at=now,
        updated_at=now,
        gateway_id=gateway_id,
        payment_method_token=payment_method_token,
        trial_end=trial_end,
    )
    data = sub.base_data() | {
        "orderId": sub.order_id,
        "currency": sub.currency,
        "billingCycleId": sub.billing_cycle_id,
        "intervalUnit": sub.interval_unit,
        "intervalCount": sub.interval_count,
        "currentPeriodStart": now.isoformat(),
        "currentPeriodEnd": sub.current_period_end.isoformat(),
        "createdAt": now.isoformat(),
        "trialEnd": trial_end.isoformat() if trial_end else None,
    }
    return sub, [DomainEvent("SubscriptionCreated", sub.id, data, version=2)]


def trial_will_end(
    sub: Subscription, as_of: datetime, now: datetime
) -> tuple[Subscription, list[DomainEvent]]:
    """SubscriptionTrialWillEnd, once, from three days before the trial's end."""
    if sub.status != TRIALING or sub.trial_end is None or sub.trial_will_end_sent:
        return sub, []
    if as_of < sub.trial_end - TRIAL_WARNING:
        return sub, []
    done = replace(sub, trial_will_end_sent=True, updated_at=now, version=sub.version + 1)
    data = sub.base_data() | {"trialEnd": sub.trial_end.isoformat()}
    return done, [DomainEvent("SubscriptionTrialWillEnd", sub.id, data)]


def item_texts(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": i.get("name"), "description": i.get("description")} for i in items]


def renewal_texts(sub: Subscription) -> list[dict[str, Any]]:
    """The names of a renewal invoice's lines: the items', then each waiting proration's."""
    texts = item_texts(sub.items)
    for waiting in sub.pending_prorations or []:
        texts += waiting.get("lineTexts") or [{} for _ in waiting["lines"]]
    return texts


def price_renewal(sub: Subscription) -> PricedOrder:
    """One period of the subscription, by the same pricing rule as the order, followed by the
    proration lines that waited for it."""
    period = _price_period(sub)
    if not sub.pending_prorations:
        return period
    waiting = [PricedOrder.from_dict(p) for p in sub.pending_prorations]
    return combine(sub.currency, [period, *waiting])


def coupon_in_force(sub: Subscription) -> dict[str, Any] | None:
    """The coupon that discounts the subscription's periods now: the first period's (the order's)
    or one with renewals left to discount."""
    if sub.coupon is None:
        return None
    remaining = sub.coupon_cycles_remaining
    first_period = sub.current_period_start == sub.created_at
    return sub.coupon if remaining is None or remaining > 0 or first_period else None


def _price_period(sub: Subscription) -> PricedOrder:
    coupon = sub.coupon if sub.coupon_cycles_remaining is None or sub.coupon_cycles_remaining > 0 else None
    only = set(coupon["productIds"]) if coupon and coupon.get("productIds") else None
    lines = [
        LineInput(
            product_id=item["productId"],
            quantity=int(item["quantity"]),
            unit_price=int(item["unitPrice"]),
            tax=None
            if item.get("taxRate") is None
            else TaxRate(
                rule_id=item.get("taxRuleId"),
                name=item.get("taxName") or "",
                rate=Decimal(item["taxRate"]),
                inclusive=bool(item.get("taxInclusive")),
            ),
            discountable=only is None or item["productId"] in only,
        )
        for item in sub.items
    ]
    applied = None
    if coupon is not None:
        applied = CouponInput(
            code=coupon["code"],
            percent_off=None if coupon.get("percentOff") is None else Decimal(coupon["percentOff"]),
            amount_off=coupon.get("amountOff"),
        )
    return price_order(sub.currency, lines, applied)


def renew(
    sub: Subscription, *, invoice_id: str, total: int, now: datetime
) -> tuple[Subscription, list[DomainEvent]]:
    """The next period begins (its invoice `invoice_id` was made for it)."""
    start_at, end_at = sub.next_period()
    remaining = sub.coupon_cycles_remaining
    done = replace(
        sub,
        current_period_start=start_at,
        current_period_end=end_at,
        coupon_cycles_remaining=None if remaining is None else max(remaining - 1, 0),
        pending_prorations=None,
        status=ACTIVE if sub.status == TRIALING else sub.status,
        updated_at=now,
        version=sub.version + 1,
    )
    data = done.base_data() | {
        "invoiceId": invoice_id,
        "periodStart": start_at.isoformat(),
        "periodEnd": end_at.isoformat(),
        "amount": total,
        "currency": sub.currency,
    }
    return done, [DomainEvent("SubscriptionRenewed", sub.id, data)]


def refuse(sub: Subscription, why: str) -> Problem:
    """The 409 of an action the subscription's state does not allow, naming the state and what
    it allows."""
    state = "set to cancel at its period's end" if sub.cancel_at_period_end else sub.status
    return Problem(
        409,
        f"Subscription '{sub.id}' is {state}: {why}",
        extra={"subscriptionStatus": sub.status, "allowedActions": sub.allowed_actions},
    )


def cancel(
    sub: Subscription, *, at_period_end: bool, reason: str, now: datetime
) -> tuple[Subscription, list[DomainEvent]]:
    """Now (SubscriptionCancelled), or at the current period's end
    (SubscriptionCancellationScheduled: no renewal is billed, the biller ends it then)."""
    if sub.status == CANCELED:
        raise Problem(
            409, f"Subscription '{sub.id}' is already canceled.", extra={"subscriptionStatus": sub.status}
        )
    if at_period_end:
        if sub.cancel_at_period_end:
            return sub, []  # asked again: already so
        if sub.status == PAUSED:
            raise refuse(sub, "its period does not end; cancel it now or resume it first.")
        done = replace(sub, cancel_at_period_end=True, updated_at=now, version=sub.version + 1)
        data = done.base_data() | {"cancelAt": done.current_period_end.isoformat()}
        return done, [DomainEvent("SubscriptionCancellationScheduled", sub.id, data)]
    done = replace(sub, status=CANCELED, canceled_at=now, updated_at=now, version=sub.version + 1)
    data = done.base_data() | {"reason": reason, "canceledAt": now.isoformat()}
    return done, [DomainEvent("SubscriptionCancelled", sub.id, data)]


def pause(
    sub: Subscription, *, resumes_at: datetime | None, now: datetime
) -> tuple[Subscription, list[DomainEvent]]:
    """Nothing is billed while paused (SubscriptionPaused): the period in progress was paid and is
    not refunded. Resumed by a call, or by the biller at `resumesAt`."""
    if sub.status == PAUSED:
        return sub, []
    if sub.status != ACTIVE or sub.cancel_at_period_end:
        raise refuse(sub, "only an active subscription is paused.")
    if resumes_at is not None and resumes_at <= now:
        raise Problem(
            422, "resumesAt must be in the future.", errors=[FieldError("resumesAt", "in the past")]
        )
    done = replace(
        sub, status=PAUSED, paused_at=now, resumes_at=resumes_at, updated_at=now, version=sub.version + 1
    )
    data = done.base_data() | {
        "pausedAt": now.isoformat(),
        "resumesAt": resumes_at.isoformat() if resumes_at else None,
    }
    return done, [DomainEvent("SubscriptionPaused", sub.id, data)]


def resume(sub: Subscription, *, at: datetime, now: datetime) -> tuple[Subscription, list[DomainEvent]]:
    """A new period starts at `at` (SubscriptionResumed): the subscription is due at once, so the
    caller bills that period (`renewals.plan`) in the same transaction. Resuming an active one
    changes nothing."""
    if sub.status != PAUSED:
        if sub.status == ACTIVE:
            return sub, []
        raise Problem(409, f"Subscription '{sub.id}' is {sub.status}: only a paused subscription resumes.")
    done = replace(
        sub,
        status=ACTIVE,
        paused_at=None,
        resumes_at=None,
        period_anchor=at,
        current_period_start=at,
        current_period_end=at,  # due now: the period from `at` is billed next
        updated_at=now,
        version=sub.version + 1,
    )
    data = done.base_data() | {"resumedAt": at.isoformat(), "pausedAt": iso_or_none(sub.paused_at)}
    return done, [DomainEvent("SubscriptionResumed", sub.id, data)]


def iso_or_none(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def undo_cancel(sub: Subscription, now: datetime) -> tuple[Subscription, list[DomainEvent]]:
    """A cancellation at the period's end is taken back before the period ends: renewals go on."""
    if sub.status == CANCELED:
        raise Problem(409, f"Subscription '{sub.id}' is canceled; it cannot be taken back.")
    if not sub.cancel_at_period_end:
        return sub, []
    done = replace(sub, cancel_at_period_end=False, updated_at=now, version=sub.version + 1)
    return done, [updated(done, "cancellation_undone", now)]


def updated(sub: Subscription, change: str, now: datetime, **extra: Any) -> DomainEvent:
    """SubscriptionUpdated: the subscription as it is after `change` (its items, its schedule)."""
    data = sub.base_data() | {
        "change": change,
        "currency": sub.currency,
        "items": public_items(sub.items),
        "currentPeriodStart": sub.current_period_start.isoformat(),
        "currentPeriodEnd": sub.current_period_end.isoformat(),
        "cancelAt": sub.cancel_at.isoformat() if sub.cancel_at else None,
        "updatedAt": now.isoformat(),
        "previousItems": None,
        "prorationBehavior": None,
        "prorationDate": None,
        "invoiceId": None,
    }
    return DomainEvent("SubscriptionUpdated", sub.id, data | extra)


def public_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What clients see of each item: the product, how many, at which unit price."""
    return [
        {"productId": i["productId"], "quantity": int(i["quantity"]), "unitPrice": int(i["unitPrice"])}
        for i in items
    ]


def update_payment_method(sub: Subscription, *, gateway_id: str, token: str, now: datetime) -> Subscription:
    if sub.status == CANCELED:
        raise Problem(409, f"Subscription '{sub.id}' is canceled; its payment method cannot change.")
    return replace(
        sub, gateway_id=gateway_id, payment_method_token=token, updated_at=now, version=sub.version + 1
    )


def past_due(
    sub: Subscription,
    *,
    invoice_id: str,
    attempts: int,
    next_attempt_at: datetime | None,
    failure: str | None,
    now: datetime,
) -> tuple[Subscription, list[DomainEvent]]:
    done = replace(sub, status=PAST_DUE, updated_at=now, version=sub.version + 1)
    data = done.base_data() | {
        "invoiceId": invoice_id,
        "attempts": attempts,
        "nextAttemptAt": next_attempt_at.isoformat() if next_attempt_at else None,
        "failureCode": failure,
    }
    return done, [DomainEvent("SubscriptionPastDue", sub.id, data)]


def recovered(sub: Subscription, *, invoice_id: str, now: datetime) -> tuple[Subscription, list[DomainEvent]]:
    if sub.status != PAST_DUE:
        return sub, []
    done = replace(sub, status=ACTIVE, updated_at=now, version=sub.version + 1)
    return done, [DomainEvent("SubscriptionRecovered", sub.id, done.base_data() | {"invoiceId": invoice_id})]


# -- dunning ---------------------------------------------------------------------------------


def next_attempt(first_attempt_at: datetime, attempts: int, retry_days: tuple[int, ...]) -> datetime | None:
    """After `attempts` failed charges: when to try again (days counted from the first attempt),
    or None when the schedule is exhausted."""
    if attempts > len(retry_days):
        return None
    return first_attempt_at + timedelta(days=retry_days[attempts - 1])
