"""Billing a batch of due subscriptions at once: each one's renewals planned without I/O
(`invoicing.domain.renewals`), then every number, invoice, history row, subscription and event of
the batch written in a few statements. The recurring biller (`billing_runs`) calls it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from billing_shared.db.uow import UnitOfWork
from billing_shared.events.domain import DomainEvent
from invoicing.domain import invoice_items, invoices, subscriptions
from invoicing.domain.billing_history import BillingHistory
from invoicing.domain.invoice_items import InvoiceItem, Priced
from invoicing.domain.invoices import Invoice
from invoicing.domain.renewals import Renewal, plan
from invoicing.domain.subscriptions import Subscription
from invoicing.service_layer import credit
from invoicing.service_layer.taxes import buyer_taxes
from invoicing.store.billing_histories import BillingHistoryRepository
from invoicing.store.credit import CustomerBalances
from invoicing.store.invoice_items import InvoiceItemRepository
from invoicing.store.invoice_settings import InvoiceSettingsRevisions
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
    waiting = _pending_items(uow, subs)
    taken: list[tuple[list[str], str]] = []  # (item ids, the renewal invoice that took them)
    for sub in subs:
        key = (sub.customer_id, sub.currency)
        renews = sub.due(as_of) or sub.resumes(as_of)  # only a renewal takes items: price them for it
        items = _priced(uow, waiting.get(key), now) if renews else None
        after, renewals, other = plan(sub, as_of, now, credit=credit_left.get(key, 0), items=items)
        if items is not None and renewals:
            taken.append((items.item_ids, renewals[0].draft.id))
            del waiting[key]
        if key in credit_left:
            credit_left[key] -= sum(r.draft.credit_applied for r in renewals)
        if after is not sub:
            planned.append((after, renewals, other))
            changed.append(after)
    count = sum(len(r) for _, r, _ in planned)
    first = NumberSeries(uow.session).take(invoices.SERIES, now.year, count) if count else 0
    revision = InvoiceSettingsRevisions(uow.session).newest_revision()
    invoices_out: list[Invoice] = []
    histories_out: list[BillingHistory] = []
    events: list[DomainEvent] = []
    for after, renewals, other in planned:
        events += other
        out.canceled += after.status == subscriptions.CANCELED
        for r in renewals:
            number = invoices.format_number(invoices.SERIES, now.year, first + len(invoices_out))
            invoice, finalized = invoices.finalize(
                r.draft, number=number, settings_revision=revision, now=now
            )
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
    for item_ids, invoice_id in taken:
        InvoiceItemRepository(uow.session).take(item_ids, invoice_id, now)
    BillingHistoryRepository(uow.session).add_many(histories_out)
    SubscriptionRepository(uow.session).save_many(changed)
    uow.emit_many(events)
    return out


def _pending_items(uow: UnitOfWork, subs: list[Subscription]) -> dict[tuple[str, str], list[InvoiceItem]]:
    """The batch's customers' pending one-off items by (customer, currency), locked: each joins the
    first renewal in its currency, and a replayed or concurrent run finds it taken."""
    found: dict[tuple[str, str], list[InvoiceItem]] = {}
    for item in InvoiceItemRepository(uow.session).lock_pending(sorted({s.customer_id for s in subs})):
        found.setdefault((item.customer_id, item.currency), []).append(item)
    return found


def _priced(uow: UnitOfWork, items: list[InvoiceItem] | None, now: datetime) -> Priced | None:
    """The items as renewal lines, by the pricing rule with the buyer's tax rules (as a manual
    invoice prices them)."""
    if not items:
        return None
    return invoice_items.price(items[: invoice_items.MAX_LINES], buyer_taxes(uow, items[0].customer_id, now))
