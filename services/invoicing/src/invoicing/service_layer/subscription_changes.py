"""Changing a subscription's items mid-period (PATCH), previewing it, and cancelling now with the
unused time credited: the products come from invoicing's catalog projection and the tax rule
from the buyer's address, never from orders' API. A change invoiced now is drafted, given the
customer's credit, finalized with its gapless number and charged off-session to the
subscription's method in the request's one transaction; a negative total becomes credit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from billing_shared.auth.scope import CustomerScope
from billing_shared.concurrency import check_if_match
from billing_shared.db.uow import UnitOfWork
from billing_shared.ids import new_id
from billing_shared.pricing import PricedOrder, TaxRate
from billing_shared.projection import await_known, unknown_reference
from invoicing.bootstrap import Deps
from invoicing.domain import invoices, subscription_changes, subscriptions
from invoicing.domain.billing_history import NO_PAYMENT_METHOD, PAID, PENDING, BillingHistory
from invoicing.domain.commands import (
    CancelSubscription,
    ChangeSubscription,
    PauseSubscription,
    ResumeSubscription,
)
from invoicing.domain.invoices import Invoice
from invoicing.domain.renewals import charge_request
from invoicing.domain.subscriptions import Subscription
from invoicing.service_layer import credit
from invoicing.service_layer.renewals import bill_batch
from invoicing.service_layer.subscriptions import save_subscription
from invoicing.service_layer.taxes import buyer_taxes
from invoicing.store.billing_histories import BillingHistoryRepository
from invoicing.store.catalog import CatalogProjection
from invoicing.store.credit import CustomerBalances
from invoicing.store.invoice_settings import InvoiceSettingsRevisions
from invoicing.store.invoices import InvoiceRepository
from invoicing.store.number_series import NumberSeries
from invoicing.store.subscriptions import SubscriptionRepository


def _visible(uow: UnitOfWork, scope: CustomerScope, sub_id: str, *, lock: bool = False) -> Subscription:
    repo = SubscriptionRepository(uow.session)
    return scope.visible(repo.get(sub_id, for_update=lock), "subscription", sub_id)


def _products(deps: Deps, sub: Subscription, cmd: ChangeSubscription, now: datetime) -> dict[str, Any]:
    """The catalog's products the change adds, waited for briefly (a product made a moment ago
    may still be on its way here): a recent unknown id is a 503, another a 422."""
    held = {i["productId"] for i in sub.items}
    found: dict[str, Any] = {}
    for n, item in enumerate(cmd.items):
        if item.product_id in held or item.product_id in found:
            continue
        product = await_known(
            deps.db,
            lambda session, pid=item.product_id: CatalogProjection(session).product(pid),
            deps.settings.projection_wait_seconds,
        )
        if product is None:
            raise unknown_reference(item.product_id, f"items[{n}].productId", "product", now)
        found[item.product_id] = product
    return found


def _tax_for(uow: UnitOfWork, customer_id: str, now: datetime) -> Callable[[dict[str, Any]], TaxRate | None]:
    """The buyer's tax rule for a product (by its tax category), by the most specific match at `now`."""
    tax_for = buyer_taxes(uow, customer_id, now)
    return lambda product: tax_for(product.get("taxCategory"))


def _invoice(
    uow: UnitOfWork, sub: Subscription, priced: PricedOrder, now: datetime, texts: list[dict[str, Any]]
) -> Invoice:
    """The change's invoice: credit used first, finalized with its number, then paid at once when
    nothing is due (a credit, or credit covered it) or charged to the subscription's method."""
    draft, events = invoices.draft(
        invoice_id=new_id("in"),
        customer_id=sub.customer_id,
        priced=priced,
        now=now,
        subscription=(sub.id, None, None),
        billing_reason=invoices.SUBSCRIPTION_UPDATE,
        line_texts=texts,
    )
    draft = credit.take_credit(uow, draft, now)
    seq = NumberSeries(uow.session).next(invoices.SERIES, now.year)
    invoice, finalized = invoices.finalize(
        draft,
        number=invoices.format_number(invoices.SERIES, now.year, seq),
        settings_revision=InvoiceSettingsRevisions(uow.session).newest_revision(),
        now=now,
    )
    events += finalized
    credit.credit_negative_total(uow, invoice, now)
    # its row in the billing history, from the change's moment: dunning retries a declined charge
    history = BillingHistory(
        id=new_id("sbh"),
        subscription_id=sub.id,
        customer_id=sub.customer_id,
        period_start=now,
        period_end=sub.current_period_end,
        invoice_id=invoice.id,
        status=PAID,
        attempts=0,
        created_at=now,
        updated_at=now,
        reason=invoices.SUBSCRIPTION_UPDATE,
    )
    if invoice.amount_due == 0:
        invoice, paid = invoices.pay(invoice, payment_intent_id=None, amount=0, now=now)
        events += paid
    elif sub.payment_method_token and sub.gateway_id:
        events.append(charge_request(sub, invoice, 1))
        history = replace(history, status=PENDING, attempts=1)
    else:  # nothing saved to charge: the customer pays on the invoice's hosted page
        history = replace(history, status=NO_PAYMENT_METHOD)
    InvoiceRepository(uow.session).add(invoice)
    BillingHistoryRepository(uow.session).add_many([history])
    uow.emit_many(events)
    return invoice


def change_subscription(
    uow: UnitOfWork, deps: Deps, cmd: ChangeSubscription
) -> tuple[Subscription, Invoice | None]:
    """PATCH /Subscriptions/{id}: the items from now on, and the change's invoice when it is
    invoiced now (None otherwise). The same items again change nothing."""
    cmd.scope.require_merchant("change a subscription")
    now = datetime.now(UTC)
    # read and waited for before this transaction's first statement: a wait inside it would hold
    # the database (SQLite's one writer) and keep the worker from recording the product awaited
    with deps.db.unit_of_work(write=False) as reading:
        seen = _visible(reading, cmd.scope, cmd.subscription_id)
    products = _products(deps, seen, cmd, now)
    sub = _visible(uow, cmd.scope, cmd.subscription_id, lock=True)
    check_if_match(cmd.if_match, sub.version)
    at = cmd.proration_date or now
    items = subscription_changes.new_items(sub, cmd.items, products, _tax_for(uow, sub.customer_id, now))
    subscription_changes.check_changeable(sub, cmd.proration_behavior, at)
    if subscriptions.public_items(items) == subscriptions.public_items(sub.items):
        return sub, None
    change = subscription_changes.change(sub, items, behavior=cmd.proration_behavior, at=at, now=now)
    texts = subscription_changes.change_texts(change.previous_items, items)
    invoice = (
        _invoice(uow, change.subscription, change.priced, now, texts)
        if change.invoice_now and change.priced
        else None
    )
    event = subscription_changes.changed_event(
        change, behavior=cmd.proration_behavior, at=at, invoice_id=invoice.id if invoice else None, now=now
    )
    return save_subscription(uow, sub, change.subscription, [event]), invoice


def preview_change(uow: UnitOfWork, deps: Deps, cmd: ChangeSubscription) -> Invoice:
    """POST /Subscriptions/{id}/preview-change: the invoice the change would make now (with the
    credit it would use), made of nothing: no number, no event, not stored."""
    now = datetime.now(UTC)
    sub = _visible(uow, cmd.scope, cmd.subscription_id)
    products = _products(deps, sub, cmd, now)
    at = cmd.proration_date or now
    items = subscription_changes.new_items(sub, cmd.items, products, _tax_for(uow, sub.customer_id, now))
    change = subscription_changes.change(
        sub, items, behavior=subscription_changes.ALWAYS_INVOICE, at=at, now=now
    )
    priced = change.priced or _nothing(sub)
    draft, _ = invoices.draft(
        invoice_id="in_preview",
        customer_id=sub.customer_id,
        priced=priced,
        now=now,
        subscription=(sub.id, None, None),
        billing_reason=invoices.SUBSCRIPTION_UPDATE,
        line_texts=subscription_changes.change_texts(sub.items, items) if change.priced else [],
    )
    balance = CustomerBalances(uow.session).of(sub.customer_id).get(sub.currency, 0)
    return invoices.use_credit(draft, balance, now)


def _nothing(sub: Subscription) -> PricedOrder:
    return PricedOrder(currency=sub.currency, lines=[], subtotal=0, discount_total=0, tax_total=0, total=0)


def cancel_subscription(uow: UnitOfWork, cmd: CancelSubscription) -> Subscription:
    """At the period's end (SubscriptionCancellationScheduled; a customer may do this to its own),
    taken back, or now (SubscriptionCancelled), crediting the unused time when `prorate`."""
    if not cmd.at_period_end and cmd.prorate is not None:
        cmd.scope.require_merchant("cancel a subscription now")
    sub = _visible(uow, cmd.scope, cmd.subscription_id, lock=True)
    check_if_match(cmd.if_match, sub.version)
    now = datetime.now(UTC)
    if cmd.at_period_end:
        after, events = subscriptions.cancel(sub, at_period_end=True, reason=subscriptions.REQUESTED, now=now)
        return save_subscription(uow, sub, after, events)
    if cmd.prorate is None and sub.cancel_at_period_end:
        after, events = subscriptions.undo_cancel(sub, now)
        return save_subscription(uow, sub, after, events)
    cmd.scope.require_merchant("cancel a subscription now")
    after, events = subscriptions.cancel(sub, at_period_end=False, reason=subscriptions.REQUESTED, now=now)
    if cmd.prorate and sub.status in subscription_changes.CHANGEABLE:
        priced = subscription_changes.price_change(replace(sub, cancel_at_period_end=False), [], now)
        if priced is not None and priced.lines:
            _invoice(uow, sub, priced, now, subscription_changes.change_texts(sub.items, []))
    return save_subscription(uow, sub, after, events)


def pause_subscription(uow: UnitOfWork, cmd: PauseSubscription) -> Subscription:
    """Nothing is billed while paused; resumed by a call or at `resumesAt`. The merchant's."""
    cmd.scope.require_merchant("pause a subscription")
    sub = _visible(uow, cmd.scope, cmd.subscription_id, lock=True)
    check_if_match(cmd.if_match, sub.version)
    after, events = subscriptions.pause(sub, resumes_at=cmd.resumes_at, now=datetime.now(UTC))
    return save_subscription(uow, sub, after, events)


def resume_subscription(uow: UnitOfWork, cmd: ResumeSubscription) -> Subscription:
    """A new period starts now and is billed at once, like a renewal (its invoice, history and
    charge). A customer token may resume its own subscription."""
    sub = _visible(uow, cmd.scope, cmd.subscription_id, lock=True)
    check_if_match(cmd.if_match, sub.version)
    now = datetime.now(UTC)
    after, events = subscriptions.resume(sub, at=now, now=now)
    if not events:
        return sub
    save_subscription(uow, sub, after, events)
    bill_batch(uow, [after], now, now)
    return _visible(uow, cmd.scope, cmd.subscription_id)
