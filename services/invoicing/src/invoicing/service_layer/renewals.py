"""Billing a batch of due subscriptions at once: each one's renewals planned without I/O
(`invoicing.domain.renewals`), then every number, invoice, history row, subscription and event of
the batch written in a few statements. The recurring biller (`billing_runs`) calls it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from billing_shared.db.uow import UnitOfWork
from billing_shared.events.domain import DomainEvent
from invoicing.domain import invoices, subscriptions
from invoicing.domain.billing_history import BillingHistory
from invoicing.domain.invoices import Invoice
from invoicing.domain.renewals import Renewal, plan
from invoicing.domain.subscriptions import Subscription
from invoicing.service_layer import credit
from invoicing.store.billing_histories import BillingHistoryRepository
from invoicing.store.credit import CustomerBalances
from invoicing.store.invoices import InvoiceRepository
from invoicing.store.number_series import NumberSeries
from invoicing.store.subscriptions import SubscriptionRepository


@dataclass
class BatchOutcome:
    invoiced: int = 0
    charges: int = 0
    canceled: int = 0


def bill_batch(uow: UnitOfWork, subs: list[Subscription], as_of: datetime, now: datetime) -> BatchOutcome:
    """Bill a batch of locked subscriptions: numbers taken in one step from the locked counter,
    then every invoice, history row, subscription and event written in a few statements. A
    period billed before makes the unique keys refuse the batch (IntegrityError): the caller
    retries those subscriptions one by one."""
    out = BatchOutcome()
    changed: list[Subscription] = []
    planned: list[tuple[Subscription, list[Renewal], list[DomainEvent]]] = []
    credit_left = CustomerBalances(uow.session).lock_positive([s.customer_id for s in subs])
    for sub in subs:
        key = (sub.customer_id, sub.currency)
        after, renewals, other = plan(sub, as_of, now, credit=credit_left.get(key, 0))
        if key in credit_left:
            credit_left[key] -= sum(r.draft.credit_applied for r in renewals)
        if after is not sub:
            planned.append((after, renewals, other))
            changed.append(after)
    count = sum(len(r) for _, r, _ in planned)
    first = NumberSeries(uow.session).take(invoices.SERIES, now.year, count) if count else 0
    invoices_out: list[Invoice] = []
    histories_out: list[BillingHistory] = []
    events: list[DomainEvent] = []
    for after, renewals, other in planned:
        events += other
        out.canceled += after.status == subscriptions.CANCELED
        for r in renewals:
            number = invoices.format_number(invoices.SERIES, now.year, first + len(invoices_out))
            invoice, finalized = invoices.finalize(r.draft, number=number, now=now)
            events += r.created + finalized
            credit.record_use(uow, invoice, now)
            credit.credit_negative_total(uow, invoice, now)
            if invoice.amount_due == 0:
                invoice, paid = invoices.pay(invoice, payment_intent_id=None, amount=0, now=now)
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
