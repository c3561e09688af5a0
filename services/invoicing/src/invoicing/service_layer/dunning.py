"""Dunning: the answers payments gives to renewal charges, and the retries of failed ones.

A charge failed: retried on the schedule (`dunning_retry_days` after the period's first attempt)
with the subscription's current saved method; after the last retry fails the invoice is
uncollectible and the subscription canceled. A charge succeeded: the invoice is paid, and a
past-due subscription with nothing left unpaid is active again.
"""

from __future__ import annotations

from datetime import datetime

from billing_shared.db.uow import UnitOfWork
from invoicing.domain import invoices, mail, subscriptions
from invoicing.domain.billing_history import PAID, PAST_DUE, PENDING, UNCOLLECTIBLE, BillingHistory
from invoicing.domain.commands import ApplyPayment, ApplyPaymentFailure
from invoicing.domain.renewals import charge_request
from invoicing.service_layer import mail_queue
from invoicing.service_layer.invoices import save_invoice
from invoicing.service_layer.subscriptions import save_subscription
from invoicing.store.billing_histories import BillingHistoryRepository
from invoicing.store.invoices import InvoiceRepository
from invoicing.store.subscriptions import SubscriptionRepository


def retry_charge(uow: UnitOfWork, history: BillingHistory, now: datetime) -> bool:
    """Charge a past-due period again with the subscription's current saved method; False when
    there is nothing to retry (paid, canceled, or no method saved)."""
    sub = SubscriptionRepository(uow.session).get(history.subscription_id, for_update=True)
    invoice = InvoiceRepository(uow.session).get(history.invoice_id)
    if (
        sub is None
        or invoice is None
        or invoice.status != invoices.OPEN
        or sub.status == subscriptions.CANCELED
    ):
        return False
    if not (sub.payment_method_token and sub.gateway_id):
        return False
    attempt = history.attempts + 1
    BillingHistoryRepository(uow.session).update(
        history.id, status=PENDING, attempts=attempt, next_attempt_at=None, updated_at=now
    )
    uow.emit(charge_request(sub, invoice, attempt))
    return True


def charge_succeeded(uow: UnitOfWork, cmd: ApplyPayment, now: datetime) -> None:
    """PaymentSucceeded of an invoice's payment that names no order: a renewal charge, or the
    customer paying the open invoice (on the hosted page, say), which ends its dunning too."""
    assert cmd.invoice_id is not None  # a renewal charge names its invoice
    invoice_id = cmd.invoice_id
    histories = BillingHistoryRepository(uow.session)
    history = histories.by_invoice(invoice_id, for_update=True)
    invoice = InvoiceRepository(uow.session).get(invoice_id, for_update=True)
    if invoice is None:
        return
    if invoice.status == invoices.OPEN:
        paid, events = invoices.pay(
            invoice, payment_intent_id=cmd.payment_intent_id, amount=cmd.amount, now=now
        )
        save_invoice(uow, invoice, paid, events)
    if history is None:
        return
    _answered(histories, history.id, cmd.payment_intent_id, now, status=PAID)
    sub = SubscriptionRepository(uow.session).get(history.subscription_id, for_update=True)
    if sub is not None and sub.status == subscriptions.PAST_DUE and histories.unpaid_count(sub.id) == 0:
        after, events = subscriptions.recovered(sub, invoice_id=invoice_id, now=now)
        save_subscription(uow, sub, after, events)


def charge_failed(
    uow: UnitOfWork, cmd: ApplyPaymentFailure, now: datetime, retry_days: tuple[int, ...], *, sender: str
) -> None:
    """PaymentFailed of a renewal charge: retry on the dunning schedule, or give up after the last
    retry (the invoice uncollectible, the subscription canceled). A stale or repeated answer (not
    the period's current attempt) changes nothing. Each attempt's failure is mailed to the customer
    (from `sender`) once, with the hosted link to pay the invoice."""
    assert cmd.invoice_id is not None  # a renewal charge names its invoice
    invoice_id = cmd.invoice_id
    histories = BillingHistoryRepository(uow.session)
    history = histories.by_invoice(invoice_id, for_update=True)
    if history is None or history.status != PENDING or (cmd.attempt or 0) != history.attempts:
        return
    sub = SubscriptionRepository(uow.session).get(history.subscription_id, for_update=True)
    if sub is None:
        return
    failure = cmd.failure_code
    when = subscriptions.next_attempt(history.period_start, history.attempts, retry_days)
    told = mail.payment_failed(
        invoice_id=invoice_id,
        customer_id=sub.customer_id,
        subscription_id=sub.id,
        attempt=history.attempts,
        next_attempt_at=when.isoformat()
        if when is not None and sub.status != subscriptions.CANCELED
        else None,
        failure=failure,
    )
    mail_queue.queue(uow.session, told, sender, now)
    if when is not None and sub.status != subscriptions.CANCELED:
        _answered(
            histories, history.id, cmd.payment_intent_id, now, status=PAST_DUE, retry_at=when, failure=failure
        )
        if sub.status == subscriptions.ACTIVE:
            after, events = subscriptions.past_due(
                sub,
                invoice_id=invoice_id,
                attempts=history.attempts,
                next_attempt_at=when,
                failure=failure,
                now=now,
            )
            save_subscription(uow, sub, after, events)
        return
    _answered(histories, history.id, cmd.payment_intent_id, now, status=UNCOLLECTIBLE, failure=failure)
    invoice = InvoiceRepository(uow.session).get(invoice_id, for_update=True)
    if invoice is not None and invoice.status == invoices.OPEN:
        written_off, events = invoices.mark_uncollectible(invoice, now)
        save_invoice(uow, invoice, written_off, events)
    if sub.status != subscriptions.CANCELED:
        after, events = subscriptions.cancel(
            sub, at_period_end=False, reason=subscriptions.PAYMENT_FAILED, now=now
        )
        save_subscription(uow, sub, after, events)


def _answered(
    histories: BillingHistoryRepository,
    history_id: str,
    payment_intent_id: str,
    now: datetime,
    *,
    status: str,
    retry_at: datetime | None = None,
    failure: str | None = None,
) -> None:
    """The period's history after a charge's answer: which charge answered, the new state, and the
    dunning retry still to come (none once paid or given up)."""
    histories.update(
        history_id,
        status=status,
        payment_intent_id=payment_intent_id,
        next_attempt_at=retry_at,
        failure_code=failure,
        updated_at=now,
    )
