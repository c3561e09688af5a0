"""Manual invoices: the merchant invoices a customer's pending one-off items now (`POST /Invoices
{customerId, includePendingItems: true}`), a draft with neither order nor subscription, priced by
the pricing rule with the buyer's tax rules. Finalized, paid, sent and voided like any invoice;
voiding the draft gives its items back to the customer's pending ones."""

from __future__ import annotations

from datetime import UTC, datetime

from billing_shared.db.uow import UnitOfWork
from billing_shared.ids import new_id
from invoicing.bootstrap import Deps
from invoicing.domain import invoice_items, invoices
from invoicing.domain.commands import CreateManualInvoice
from invoicing.domain.invoices import Invoice
from invoicing.service_layer.projections import await_customer
from invoicing.service_layer.taxes import buyer_taxes
from invoicing.store.invoice_items import InvoiceItemRepository
from invoicing.store.invoices import InvoiceRepository


def create_manual_invoice(uow: UnitOfWork, deps: Deps, cmd: CreateManualInvoice) -> Invoice:
    """A draft of the customer's pending items (InvoiceCreated, billingReason manual), which are
    invoiced on it in the same transaction. The items are locked first: a concurrent manual invoice
    or billing run waits, then finds them taken, so no item is ever on two invoices."""
    cmd.scope.require_merchant("make a manual invoice")
    now = datetime.now(UTC)
    await_customer(deps, cmd.customer_id, now)
    items = InvoiceItemRepository(uow.session)
    chosen = invoice_items.choose(items.lock_pending([cmd.customer_id]), cmd.currency)
    part = invoice_items.price(chosen, buyer_taxes(uow, cmd.customer_id, now))
    invoice, events = invoices.draft(
        invoice_id=new_id("in"),
        customer_id=cmd.customer_id,
        priced=part.priced,
        now=now,
        billing_reason=invoices.MANUAL,
        line_texts=part.texts,
    )
    InvoiceRepository(uow.session).add(invoice)
    items.take(part.item_ids, invoice.id, now)
    uow.emit_many(events)
    return invoice


def release_items(uow: UnitOfWork, invoice: Invoice, now: datetime) -> None:
    """A voided draft's items are pending again (an issued invoice keeps its lines, voided or not)."""
    if invoice.status == invoices.DRAFT:
        InvoiceItemRepository(uow.session).release(invoice.id, now)
