"""One-off charges (InvoiceItems), the merchant's only: added for a known customer, read, listed,
withdrawn while pending. An invoice takes them (`manual_invoices`, `renewals`)."""

from __future__ import annotations

from datetime import UTC, datetime

from billing_shared.auth.scope import CustomerScope
from billing_shared.commands import OnResource, given
from billing_shared.db.owned import OwnedReads
from billing_shared.db.uow import UnitOfWork
from billing_shared.ids import new_id
from billing_shared.paging import Page, PageRequest
from invoicing.bootstrap import Deps
from invoicing.domain import invoice_items
from invoicing.domain.commands import CreateInvoiceItem
from invoicing.domain.invoice_items import InvoiceItem
from invoicing.service_layer.projections import await_customer
from invoicing.store.invoice_items import InvoiceItemRepository

_ITEMS = OwnedReads[InvoiceItem](InvoiceItemRepository, "invoice item")


def create_item(uow: UnitOfWork, deps: Deps, cmd: CreateInvoiceItem) -> InvoiceItem:
    """A pending item of a customer invoicing knows (waited for briefly: a customer made a moment
    ago may still be on its way here)."""
    cmd.scope.require_merchant("add invoice items")
    now = datetime.now(UTC)
    await_customer(deps, cmd.customer_id, now)
    item = invoice_items.create(item_id=new_id("ii"), now=now, **given(cmd))
    InvoiceItemRepository(uow.session).add(item)
    return item


def get_item(uow: UnitOfWork, scope: CustomerScope, item_id: str) -> InvoiceItem:
    scope.require_merchant("read invoice items")
    return _ITEMS.one(uow, scope, item_id)


def list_items(
    uow: UnitOfWork, scope: CustomerScope, request: PageRequest, **filters: str | None
) -> Page[InvoiceItem]:
    scope.require_merchant("list invoice items")
    return _ITEMS.page(uow, scope, request, **filters)


def delete_item(uow: UnitOfWork, cmd: OnResource) -> InvoiceItem:
    """A pending item withdrawn (status deleted, kept for the record); one an invoice took is a 409."""
    cmd.scope.require_merchant("delete invoice items")
    repo = InvoiceItemRepository(uow.session)
    item = cmd.visible(repo.get(cmd.id, for_update=True), "invoice item")
    cmd.check_version(item.version)
    done = invoice_items.delete(item, datetime.now(UTC))
    if done is not item:
        repo.save(done, expected_version=item.version)
    return done
