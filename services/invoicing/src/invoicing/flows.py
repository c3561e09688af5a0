"""The invoice changes that the API and the event handlers share, each inside the caller's one
unit of work (state, number counter and outbox events commit together)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from billing_shared.db.uow import UnitOfWork
from billing_shared.events.domain import DomainEvent
from billing_shared.ids import new_id
from billing_shared.pricing import PricedOrder
from invoicing.domain import invoices as rules
from invoicing.domain.invoices import Invoice
from invoicing.store.invoices import InvoiceRepository, NumberSeries, OrderProjection


class ConcurrentChange(RuntimeError):
    """The invoice changed under us (its version moved): the event or request is retried."""


def _save(uow: UnitOfWork, before: Invoice, after: Invoice, events: list[Any]) -> Invoice:
    if events:
        if not InvoiceRepository(uow.session).save(after, expected_version=before.version):
            raise ConcurrentChange(f"invoice {before.id} changed concurrently; retry")
        for e in events:
            uow.emit(e)
    return after


def draft_from_order(uow: UnitOfWork, order: dict[str, Any], now: datetime) -> tuple[Invoice, bool]:
    """The order's invoice, made as a draft from the projected order if it has none yet.
    Returns (invoice, created)."""
    repo = InvoiceRepository(uow.session)
    existing = repo.by_order(order["id"])
    if existing is not None:
        return existing, False
    invoice, events = rules.draft(
        invoice_id=new_id("in"),
        order_id=order["id"],
        customer_id=order["customer_id"],
        priced=PricedOrder.from_dict(order["priced"]),
        now=now,
    )
    if not repo.add(invoice):  # another transaction drafted it first
        found = repo.by_order(order["id"])
        assert found is not None
        return found, False
    for e in events:
        uow.emit(e)
    return invoice, True


def finalize(uow: UnitOfWork, invoice: Invoice, now: datetime) -> Invoice:
    """draft -> open, its number taken from the locked counter in this same transaction."""
    if invoice.status != rules.DRAFT:
        rules.finalize(invoice, number="", now=now)  # raises the 409 naming the reason
    seq = NumberSeries(uow.session).next(rules.SERIES, now.year)
    done, events = rules.finalize(invoice, number=rules.format_number(rules.SERIES, now.year, seq), now=now)
    return _save(uow, invoice, done, events)


def finalize_in_memory(uow: UnitOfWork, draft: Invoice, now: datetime) -> tuple[Invoice, list[DomainEvent]]:
    """A new invoice finalized before it is first stored (a renewal is never a draft for long):
    its number is taken from the locked counter in the caller's transaction."""
    seq = NumberSeries(uow.session).next(rules.SERIES, now.year)
    return rules.finalize(draft, number=rules.format_number(rules.SERIES, now.year, seq), now=now)


def settle(
    uow: UnitOfWork, order_id: str, *, payment_intent_id: str | None, amount: int, now: datetime
) -> Invoice | None:
    """The order was paid: its invoice (drafted from the projection if missing) is finalized if
    still a draft and marked paid. None when the order is not known yet."""
    repo = InvoiceRepository(uow.session)
    invoice = repo.by_order(order_id, for_update=True)
    if invoice is None:
        order = OrderProjection(uow.session).get(order_id)
        if order is None:
            return None
        invoice, _ = draft_from_order(uow, order, now)
    if invoice.status in (rules.PAID, rules.VOID, rules.UNCOLLECTIBLE):
        return invoice  # a replay, or paid after it was written off: nothing to change here
    if invoice.status == rules.DRAFT:
        invoice = finalize(uow, invoice, now)
    paid, events = rules.pay(invoice, payment_intent_id=payment_intent_id, amount=amount, now=now)
    return _save(uow, invoice, paid, events)


def save(uow: UnitOfWork, before: Invoice, after: Invoice, events: list[Any]) -> Invoice:
    return _save(uow, before, after, events)
