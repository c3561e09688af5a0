"""Invoices: drafted from an order, read, finalized with the next gapless number, voided, written
off. The steps other use cases share (draft from an order, finalize, save) are here too, each in
the caller's one unit of work: state, number counter and outbox events commit together.

Drafts are made from the order projection (OrderCreated data), never recomputed; the number is
taken at finalization from a locked counter in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from billing_shared.commands import OnResource
from billing_shared.concurrency import check_if_match
from billing_shared.db.owned import OwnedReads
from billing_shared.db.uow import UnitOfWork
from billing_shared.events.domain import DomainEvent
from billing_shared.ids import new_id
from billing_shared.pricing import PricedOrder
from invoicing.bootstrap import Deps
from invoicing.domain import invoices
from invoicing.domain.commands import AnnotateInvoice, CreateInvoice, PayOutOfBand
from invoicing.domain.invoices import Invoice
from invoicing.service_layer.manual_invoices import release_items
from invoicing.service_layer.projections import await_order
from invoicing.store.invoice_settings import InvoiceSettingsRevisions
from invoicing.store.invoices import InvoiceRepository
from invoicing.store.number_series import NumberSeries
from invoicing.store.orders import OrderProjection

Change = Callable[[Invoice, datetime], tuple[Invoice, list[DomainEvent]]]


def save_invoice(uow: UnitOfWork, before: Invoice, after: Invoice, events: list[DomainEvent]) -> Invoice:
    """`after` in place of `before` with its events; no event means no change and no write.
    ConcurrentChange when another writer saved the invoice first."""
    if events:
        InvoiceRepository(uow.session).save(after, expected_version=before.version)
        uow.emit_many(events)
    return after


def draft_from_order(uow: UnitOfWork, order: dict[str, Any], now: datetime) -> tuple[Invoice, bool]:
    """The order's invoice, made as a draft from the projected order if it has none yet:
    (invoice, created)."""
    repo = InvoiceRepository(uow.session)
    existing = repo.by_order(order["id"])
    if existing is not None:
        return existing, False
    invoice, events = invoices.draft(
        invoice_id=new_id("in"),
        order_id=order["id"],
        customer_id=order["customer_id"],
        priced=PricedOrder.from_dict(order["priced"]),
        now=now,
        line_texts=invoices.texts_of(order["priced"]["lines"]),
    )
    if not repo.add(invoice):  # another transaction drafted it first
        found = repo.by_order(order["id"])
        assert found is not None
        return found, False
    uow.emit_many(events)
    return invoice, True


def finalize(uow: UnitOfWork, invoice: Invoice, now: datetime) -> Invoice:
    """draft -> open, its number taken from the locked counter in this same transaction."""
    if invoice.status != invoices.DRAFT:
        invoices.finalize(invoice, number="", settings_revision=0, now=now)  # raises the 409 with why
    seq = NumberSeries(uow.session).next(invoices.SERIES, now.year)
    done, events = invoices.finalize(
        invoice,
        number=invoices.format_number(invoices.SERIES, now.year, seq),
        settings_revision=InvoiceSettingsRevisions(uow.session).newest_revision(),
        now=now,
    )
    return save_invoice(uow, invoice, done, events)


def settle_order_invoice(
    uow: UnitOfWork, order_id: str, *, payment_intent_id: str | None, amount: int, now: datetime
) -> Invoice | None:
    """The order was paid: its invoice (drafted from the projection if missing) is finalized if
    still a draft and marked paid. None when the order is not known yet."""
    invoice = InvoiceRepository(uow.session).by_order(order_id, for_update=True)
    if invoice is None:
        order = OrderProjection(uow.session).get(order_id)
        if order is None:
            return None
        invoice, _ = draft_from_order(uow, order, now)
    if invoice.status in (invoices.PAID, invoices.VOID, invoices.UNCOLLECTIBLE):
        return invoice  # a replay, or paid after it was written off: nothing to change here
    if invoice.status == invoices.DRAFT:
        invoice = finalize(uow, invoice, now)
    paid, events = invoices.pay(invoice, payment_intent_id=payment_intent_id, amount=amount, now=now)
    return save_invoice(uow, invoice, paid, events)


def create_invoice(uow: UnitOfWork, deps: Deps, cmd: CreateInvoice) -> tuple[Invoice, bool]:
    """POST /Invoices: the order's one invoice, ever: (it, whether this call drafted it). An order
    not known after a short wait, or another customer's, is a 422."""
    order = await_order(deps, cmd.scope, cmd.order_id)
    return draft_from_order(uow, order, datetime.now(UTC))


INVOICES = OwnedReads[Invoice](InvoiceRepository, "invoice")
get_invoice = INVOICES.one
list_invoices = INVOICES.page


def _locked(uow: UnitOfWork, cmd: OnResource) -> Invoice:
    """The invoice, row-locked for this change; 404 when not the caller's, 412 when stale."""
    invoice = cmd.visible(InvoiceRepository(uow.session).get(cmd.id, for_update=True), "invoice")
    cmd.check_version(invoice.version)
    return invoice


def _change(uow: UnitOfWork, invoice: Invoice, change: Change) -> Invoice:
    after, events = change(invoice, datetime.now(UTC))
    return save_invoice(uow, invoice, after, events)


def finalize_invoice(uow: UnitOfWork, cmd: OnResource) -> Invoice:
    """draft -> open with the next gapless number (InvoiceFinalized), for orders paid outside a
    gateway, e.g. a bank transfer. The merchant's only."""
    cmd.scope.require_merchant("finalize an invoice")
    invoice = _locked(uow, cmd)
    return finalize(uow, invoice, datetime.now(UTC))


def void_invoice(uow: UnitOfWork, cmd: OnResource) -> Invoice:
    """draft or open -> void (InvoiceVoided); a paid invoice is never voided (409). A voided
    manual draft's one-off items are pending again."""
    cmd.scope.require_merchant("void an invoice")
    invoice = _locked(uow, cmd)
    voided = _change(uow, invoice, invoices.void)
    release_items(uow, invoice, voided.updated_at)
    return voided


def pay_out_of_band(uow: UnitOfWork, cmd: PayOutOfBand) -> Invoice:
    """open -> paid by a payment the merchant records (InvoicePaid, `paidOutOfBand`): no charge."""
    cmd.on.scope.require_merchant("record a payment")
    invoice = _locked(uow, cmd.on)
    after, events = invoices.pay_out_of_band(invoice, cmd.reference, datetime.now(UTC))
    return save_invoice(uow, invoice, after, events)


def mark_invoice_uncollectible(uow: UnitOfWork, cmd: OnResource) -> Invoice:
    """open -> uncollectible (InvoiceMarkedUncollectible)."""
    cmd.scope.require_merchant("write off an invoice")
    return _change(uow, _locked(uow, cmd), invoices.mark_uncollectible)


def annotate_invoice(uow: UnitOfWork, cmd: AnnotateInvoice) -> Invoice:
    """A draft's memo and footer, the merchant's; a finalized invoice's content is frozen (409)."""
    cmd.scope.require_merchant("edit an invoice")
    repo = InvoiceRepository(uow.session)
    invoice = cmd.scope.visible(repo.get(cmd.invoice_id, for_update=True), "invoice", cmd.invoice_id)
    check_if_match(cmd.if_match, invoice.version)
    done = invoices.annotate(invoice, cmd.changes, datetime.now(UTC))
    if done is not invoice:
        repo.save(done, expected_version=invoice.version)
    return done
