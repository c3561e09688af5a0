"""Subscription changes shared by the API, the event handlers and the biller, each inside the
caller's one unit of work (state, invoices, billing history and outbox events commit together).

Renewal charges go to payments by event (InvoicePaymentRequested, the saved method's token);
its answer comes back as PaymentSucceeded / PaymentFailed carrying the invoice id.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from billing_shared.db.uow import UnitOfWork
from billing_shared.events.domain import DomainEvent
from billing_shared.ids import new_id
from invoicing import flows
from invoicing.domain import invoices as invoice_rules
from invoicing.domain import subscriptions as rules
from invoicing.domain.invoices import Invoice
from invoicing.domain.subscriptions import Subscription
from invoicing.store.invoices import InvoiceRepository, NumberSeries, OrderProjection
from invoicing.store.subscriptions import (
    NO_PAYMENT_METHOD,
    PAID,
    PAST_DUE,
    PENDING,
    UNCOLLECTIBLE,
    BillingHistory,
    BillingHistoryRepository,
    SubscriptionRepository,
)


class ConcurrentChange(RuntimeError):
    """The subscription changed under us: the event or request is retried."""


@dataclass
class Outcome:
    invoiced: int = 0
    charges: int = 0
    canceled: int = 0


def save(
    uow: UnitOfWork, before: Subscription, after: Subscription, events: list[DomainEvent]
) -> Subscription:
    if after is not before and not SubscriptionRepository(uow.session).save(
        after, expected_version=before.version
    ):
        raise ConcurrentChange(f"subscription {before.id} changed concurrently; retry")
    uow.emit_many(events)
    return after


def start_from_order(
    uow: UnitOfWork, order_id: str, *, gateway_id: str | None, token: str | None, now: datetime
) -> tuple[Subscription | None, bool]:
    """The subscription of a paid recurring order (one per order, ever): (it, created).
    None when the order is unknown or has no billing cycle."""
    repo = SubscriptionRepository(uow.session)
    existing = repo.by_order(order_id)
    if existing is not None:
        if existing.payment_method_token is None and gateway_id and token:  # started before the payment came
            after = rules.update_payment_method(existing, gateway_id=gateway_id, token=token, now=now)
            return save(uow, existing, after, []), False
        return existing, False
    order = OrderProjection(uow.session).get(order_id)
    if order is None or not order.get("billing_cycle"):
        return None, False
    sub, events = rules.start(
        subscription_id=new_id("sub"), order=order, gateway_id=gateway_id, payment_method_token=token, now=now
    )
    if not repo.add(sub):  # another transaction started it first
        return repo.by_order(order_id), False
    uow.emit_many(events)
    return sub, True


# -- the biller's work: a pure plan per subscription, written for a whole batch at once ----------


@dataclass
class Renewal:
    """One period to bill: its draft invoice, its history row and the events after finalization."""

    draft: Invoice
    created: list[DomainEvent]  # InvoiceCreated
    history: BillingHistory
    then: list[DomainEvent]  # SubscriptionRenewed, then InvoicePaymentRequested or SubscriptionPastDue


def _charge_request(sub: Subscription, invoice: Invoice, attempt: int) -> DomainEvent:
    assert sub.gateway_id and sub.payment_method_token and invoice.period_start and invoice.period_end
    return DomainEvent(
        "InvoicePaymentRequested",
        invoice.id,
        {
            "invoiceId": invoice.id,
            "subscriptionId": sub.id,
            "customerId": sub.customer_id,
            "amount": invoice.total,
            "currency": invoice.currency,
            "gatewayId": sub.gateway_id,
            "paymentMethodToken": sub.payment_method_token,
            "attempt": attempt,
            "periodStart": invoice.period_start.isoformat(),
            "periodEnd": invoice.period_end.isoformat(),
        },
    )


def plan(
    sub: Subscription, as_of: datetime, now: datetime, max_periods: int = 36
) -> tuple[Subscription, list[Renewal], list[DomainEvent]]:
    """What billing `sub` at `as_of` does, without I/O: every period begun by then gets one
    renewal (or the subscription ends, when set to cancel at its period's end). Returns the
    subscription after, the renewals, and the events that are not about one renewal."""
    if sub.ends(as_of):
        done, ended = rules.cancel(sub, at_period_end=False, reason=rules.PERIOD_END, now=now)
        return done, [], ended
    current, renewals = sub, []
    for _ in range(max_periods):
        if not current.due(as_of):
            break
        start_at, end_at = current.next_period()
        draft, created = invoice_rules.renewal(
            invoice_id=new_id("in"),
            subscription_id=current.id,
            customer_id=current.customer_id,
            priced=rules.price_renewal(current),
            period_start=start_at,
            period_end=end_at,
            now=now,
        )
        renewed, then = rules.renew(current, invoice_id=draft.id, total=draft.total, now=now)
        history = BillingHistory(
            id=new_id("sbh"),
            subscription_id=current.id,
            customer_id=current.customer_id,
            period_start=start_at,
            period_end=end_at,
            invoice_id=draft.id,
            status=PENDING,
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        if draft.total == 0:  # nothing to charge (e.g. a 100 % coupon): paid at finalization
            history = replace(history, status=PAID)
        elif current.payment_method_token and current.gateway_id:
            then = [*then, _charge_request(current, draft, 1)]
            history = replace(history, attempts=1)
        else:
            history = replace(history, status=NO_PAYMENT_METHOD)
            renewed, due = rules.past_due(
                renewed,
                invoice_id=draft.id,
                attempts=0,
                next_attempt_at=None,
                failure="no_payment_method",
                now=now,
            )
            then = [*then, *due]
        renewals.append(Renewal(draft, created, history, then))
        current = renewed
    return current, renewals, []


def write_batch(uow: UnitOfWork, subs: list[Subscription], as_of: datetime, now: datetime) -> Outcome:
    """Bill a batch of locked subscriptions: numbers taken in one step from the locked counter,
    then every invoice, history row, subscription and event written in a few statements. A
    period billed before makes the unique keys refuse the batch (IntegrityError): the caller
    retries those subscriptions one by one."""
    out = Outcome()
    changed: list[Subscription] = []
    planned: list[tuple[Subscription, list[Renewal], list[DomainEvent]]] = []
    for sub in subs:
        after, renewals, other = plan(sub, as_of, now)
        if after is not sub:
            planned.append((after, renewals, other))
            changed.append(after)
    count = sum(len(r) for _, r, _ in planned)
    first = NumberSeries(uow.session).take(invoice_rules.SERIES, now.year, count) if count else 0
    invoices_out: list[Invoice] = []
    histories_out: list[BillingHistory] = []
    events: list[DomainEvent] = []
    for after, renewals, other in planned:
        events += other
        out.canceled += after.status == rules.CANCELED
        for r in renewals:
            number = invoice_rules.format_number(invoice_rules.SERIES, now.year, first + len(invoices_out))
            invoice, finalized = invoice_rules.finalize(r.draft, number=number, now=now)
            events += r.created + finalized
            if invoice.total == 0:
                invoice, paid = invoice_rules.pay(invoice, payment_intent_id=None, amount=0, now=now)
                events += paid
            events += r.then
            invoices_out.append(invoice)
            histories_out.append(r.history)
            out.invoiced += 1
            out.charges += r.history.attempts
    InvoiceRepository(uow.session).add_many(invoices_out)
    BillingHistoryRepository(uow.session).add_many(histories_out)
    SubscriptionRepository(uow.session).save_many(changed)
    uow.emit_many(events)
    return out


def retry(uow: UnitOfWork, history: BillingHistory, now: datetime) -> bool:
    """Dunning: charge a past-due period again with the subscription's current saved method."""
    sub = SubscriptionRepository(uow.session).get(history.subscription_id, for_update=True)
    invoice = InvoiceRepository(uow.session).get(history.invoice_id)
    if sub is None or invoice is None or invoice.status != invoice_rules.OPEN or sub.status == rules.CANCELED:
        return False
    if not (sub.payment_method_token and sub.gateway_id):
        return False
    attempt = history.attempts + 1
    BillingHistoryRepository(uow.session).update(
        history.id, status=PENDING, attempts=attempt, next_attempt_at=None, updated_at=now
    )
    uow.emit(_charge_request(sub, invoice, attempt))
    return True


# -- answers from payments ---------------------------------------------------------------------


def charge_succeeded(uow: UnitOfWork, data: dict[str, Any], now: datetime) -> None:
    invoice_id = data["invoiceId"]
    histories = BillingHistoryRepository(uow.session)
    history = histories.by_invoice(invoice_id, for_update=True)
    invoice = InvoiceRepository(uow.session).get(invoice_id, for_update=True)
    if history is None or invoice is None:
        return
    if invoice.status == invoice_rules.OPEN:
        paid, events = invoice_rules.pay(
            invoice, payment_intent_id=data.get("id"), amount=int(data["amount"]), now=now
        )
        flows.save(uow, invoice, paid, events)
    histories.update(
        history.id,
        status=PAID,
        payment_intent_id=data.get("id"),
        next_attempt_at=None,
        failure_code=None,
        updated_at=now,
    )
    sub = SubscriptionRepository(uow.session).get(history.subscription_id, for_update=True)
    if sub is not None and sub.status == rules.PAST_DUE and histories.unpaid_count(sub.id) == 0:
        after, events = rules.recovered(sub, invoice_id=invoice_id, now=now)
        save(uow, sub, after, events)


def charge_failed(uow: UnitOfWork, data: dict[str, Any], now: datetime, retry_days: tuple[int, ...]) -> None:
    """A renewal charge failed: retry on the dunning schedule, or give up after the last retry
    (the invoice uncollectible, the subscription canceled)."""
    invoice_id = data["invoiceId"]
    histories = BillingHistoryRepository(uow.session)
    history = histories.by_invoice(invoice_id, for_update=True)
    if history is None or history.status != PENDING or (data.get("attempt") or 0) != history.attempts:
        return  # a stale or repeated answer: the period moved on
    sub = SubscriptionRepository(uow.session).get(history.subscription_id, for_update=True)
    if sub is None:
        return
    failure = data.get("failureCode")
    when = rules.next_attempt(history.period_start, history.attempts, retry_days)
    if when is not None and sub.status != rules.CANCELED:
        histories.update(
            history.id,
            status=PAST_DUE,
            payment_intent_id=data.get("id"),
            next_attempt_at=when,
            failure_code=failure,
            updated_at=now,
        )
        if sub.status == rules.ACTIVE:
            after, events = rules.past_due(
                sub,
                invoice_id=invoice_id,
                attempts=history.attempts,
                next_attempt_at=when,
                failure=failure,
                now=now,
            )
            save(uow, sub, after, events)
        return
    histories.update(
        history.id,
        status=UNCOLLECTIBLE,
        payment_intent_id=data.get("id"),
        failure_code=failure,
        updated_at=now,
    )
    invoice = InvoiceRepository(uow.session).get(invoice_id, for_update=True)
    if invoice is not None and invoice.status == invoice_rules.OPEN:
        written_off, events = invoice_rules.mark_uncollectible(invoice, now)
        flows.save(uow, invoice, written_off, events)
    if sub.status != rules.CANCELED:
        after, events = rules.cancel(sub, at_period_end=False, reason=rules.PAYMENT_FAILED, now=now)
        save(uow, sub, after, events)
