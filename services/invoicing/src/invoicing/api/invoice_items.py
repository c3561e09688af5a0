"""/api/v1/InvoiceItems: the merchant's one-off charges, pending until the customer's next renewal
or a manual invoice (`POST /Invoices {customerId, includePendingItems: true}`) takes them. The
merchant's only: a customer token is refused (403)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.commands import OnResource
from billing_shared.web.context import caller_scope, deps, if_match, reading
from billing_shared.web.responses import ResourceAnswer
from billing_shared.web.routes import Listing, changes, creates, list_route, reads
from billing_shared.web.transaction import current_uow
from invoicing.api.invoice_item_schemas import InvoiceItemCreateSchema, InvoiceItemListArgs, InvoiceItemSchema
from invoicing.bootstrap import Deps
from invoicing.domain.commands import CreateInvoiceItem
from invoicing.domain.invoice_items import InvoiceItem
from invoicing.service_layer import invoice_items

blp = Blueprint("invoice_items", __name__, url_prefix="/api/v1/InvoiceItems", description="One-off charges")

_answer = ResourceAnswer(InvoiceItem.to_json, "/api/v1/InvoiceItems")

list_route(
    blp,
    "",
    "invoices:read",
    Listing(InvoiceItemListArgs, InvoiceItemSchema, invoice_items.list_items, InvoiceItem.to_json),
)


@blp.route("")
class InvoiceItemsCollection(MethodView):
    @creates(blp, "invoices:write", body=InvoiceItemCreateSchema, response=InvoiceItemSchema)
    def post(self, body: dict[str, Any]) -> Response:
        """A one-off charge for a customer, pending until its next renewal in that currency or a
        manual invoice takes it; priced then by the pricing rule (the buyer's tax rule for
        `taxCategory`). An unknown customer is a 422 (503 with Retry-After for one made a moment
        ago, not known here yet)."""
        amount = body.pop("amount", None)
        unit_price = amount if amount is not None else body.pop("unit_price")
        cmd = CreateInvoiceItem(
            caller_scope(), unit_price=unit_price, quantity=body.pop("quantity", 1), **body
        )
        return _answer(invoice_items.create_item(current_uow(), deps(Deps), cmd), 201)


@blp.route("/<string:item_id>")
class InvoiceItemResource(MethodView):
    @reads(blp, "invoices:read", response=InvoiceItemSchema)
    def get(self, item_id: str) -> Response:
        """One item: pending, invoiced (with the invoice that took it) or deleted."""
        with reading() as uow:
            return _answer(invoice_items.get_item(uow, caller_scope(), item_id))

    @changes(blp, "invoices:write", response=InvoiceItemSchema, if_match=True)
    def delete(self, item_id: str) -> Response:
        """Withdraw a pending item (status deleted; deleting it again changes nothing). An item an
        invoice took is part of it: 409 (void that invoice while a draft to get its items back)."""
        cmd = OnResource(caller_scope(), item_id, if_match())
        return _answer(invoice_items.delete_item(current_uow(), cmd))
