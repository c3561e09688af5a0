"""/api/v1/Invoices: the order's invoice or a manual one, read, finalized, voided, written off, sent."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.auth.flask import requires
from billing_shared.commands import OnResource
from billing_shared.db.timestamps import iso
from billing_shared.errors import FieldError, Problem
from billing_shared.web.context import caller_scope, deps, if_match, reading
from billing_shared.web.responses import BEARER, ResourceAnswer, resource_response
from billing_shared.web.routes import Listing, changes, creates, list_route, reads
from billing_shared.web.transaction import current_uow, transactional
from invoicing.api.schemas import (
    InvoiceCreateSchema,
    InvoiceListArgs,
    InvoicePatchSchema,
    InvoicePaySchema,
    InvoiceSchema,
    InvoiceSendListSchema,
)
from invoicing.bootstrap import Deps
from invoicing.domain.commands import AnnotateInvoice, CreateInvoice, CreateManualInvoice, PayOutOfBand
from invoicing.domain.invoices import Invoice
from invoicing.service_layer import documents, invoices, mail_records, manual_invoices, sending

blp = Blueprint("invoices", __name__, url_prefix="/api/v1/Invoices", description="Invoices of orders")


def invoice_body(inv: Invoice) -> dict[str, Any]:
    priced = inv.priced.to_dict()
    return {
        "id": inv.id,
        "number": inv.number,
        "orderId": inv.order_id,
        "subscriptionId": inv.subscription_id,
        "billingReason": inv.billing_reason,
        "periodStart": iso(inv.period_start),
        "periodEnd": iso(inv.period_end),
        "customerId": inv.customer_id,
        "currency": inv.currency,
        "status": inv.status,
        "lines": [line | text for line, text in zip(priced["lines"], inv.texts(), strict=True)],
        "subtotal": inv.priced.subtotal,
        "discountTotal": inv.priced.discount_total,
        "taxTotal": inv.priced.tax_total,
        "total": inv.priced.total,
        "amountPaid": inv.amount_paid,
        "creditApplied": inv.credit_applied,
        "memo": inv.memo,
        "footer": inv.footer,
        "amountDue": inv.amount_due,
        "couponCode": inv.priced.coupon_code,
        "paymentIntentId": inv.payment_intent_id,
        "allowedActions": inv.allowed_actions,
        "version": inv.version,
        "createdAt": inv.created_at.isoformat(),
        "updatedAt": inv.updated_at.isoformat(),
        "finalizedAt": iso(inv.finalized_at),
        "paidAt": iso(inv.paid_at),
        "voidedAt": iso(inv.voided_at),
        "markedUncollectibleAt": iso(inv.marked_uncollectible_at),
        "hostedInvoiceUrl": documents.hosted_url(deps(Deps), inv),
        "sentAt": iso(inv.sent_at),
        "sentTo": inv.sent_to,
        "amountRefunded": inv.amount_refunded,
        "disputed": inv.disputed,
        "disputedAt": iso(inv.disputed_at),
        "paidOutOfBand": inv.paid_out_of_band,
        "paymentReference": inv.payment_reference,
    }


_answer = ResourceAnswer(invoice_body, "/api/v1/Invoices")


list_route(
    blp, "", "invoices:read", Listing(InvoiceListArgs, InvoiceSchema, invoices.list_invoices, invoice_body)
)


@blp.route("")
class InvoicesCollection(MethodView):
    @creates(
        blp,
        "invoices:write",
        body=InvoiceCreateSchema,
        response=InvoiceSchema,
        existing="The order already has its invoice: that invoice",
    )
    def post(self, body: dict[str, Any]) -> Response:
        """`{orderId}`: the order's invoice, 201 when this call drafts it from the order, 200 when
        it exists. One invoice per order, ever. An order not known (after a short wait) is a 422.

        `{customerId, includePendingItems: true, currency?}`: a manual invoice (the merchant's),
        a draft of the customer's pending one-off items (`/InvoiceItems`) with no order, priced by
        the pricing rule; 201. No pending items (in `currency`) is a 422."""
        if "customer_id" in body:
            manual = CreateManualInvoice(caller_scope(), body["customer_id"], body.get("currency"))
            return _answer(manual_invoices.create_manual_invoice(current_uow(), deps(Deps), manual), 201)
        cmd = CreateInvoice(caller_scope(), body["order_id"])
        invoice, created = invoices.create_invoice(current_uow(), deps(Deps), cmd)
        return _answer(invoice, 201 if created else 200)


@blp.route("/<string:invoice_id>")
class InvoiceItem(MethodView):
    @reads(blp, "invoices:read", response=InvoiceSchema)
    def get(self, invoice_id: str) -> Response:
        """One invoice with its lines, totals, number and allowed actions."""
        with reading() as uow:
            invoice = invoices.get_invoice(uow, caller_scope(), invoice_id)
        return _answer(invoice)

    @changes(blp, "invoices:write", response=InvoiceSchema, body=InvoicePatchSchema)
    def patch(self, body: dict[str, Any], invoice_id: str) -> Response:
        """A draft's `memo` (shown above the lines' notes) and `footer` (the document's last words);
        null clears one. A finalized invoice's content is frozen: 409."""
        cmd = AnnotateInvoice(caller_scope(), invoice_id, body, if_match())
        return _answer(invoices.annotate_invoice(current_uow(), cmd))

    @requires("invoices:write")
    @transactional
    @blp.response(200, InvoiceSchema)
    @blp.doc(
        security=BEARER,
        requestBody={
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["status"],
                        "additionalProperties": False,
                        "properties": {"status": {"type": "string", "enum": ["sent"]}},
                    }
                }
            }
        },
    )
    def put(self, invoice_id: str) -> Response:
        """`{"status": "sent"}` sends the invoice, exactly as `POST /Invoices/{id}/send` does. It is
        the only change PUT makes: any other body is a 422 naming the field."""
        _require_sent_body(request.get_json(silent=True))
        return _send(invoice_id)


@blp.route("/<string:invoice_id>/finalize")
class InvoiceFinalize(MethodView):
    @changes(blp, "invoices:write", response=InvoiceSchema)
    def post(self, invoice_id: str) -> Response:
        """draft -> open: the next gapless number of its series and year; content frozen
        (emits InvoiceFinalized). For orders paid outside a gateway, e.g. a bank transfer."""
        cmd = OnResource(caller_scope(), invoice_id, if_match())
        return _answer(invoices.finalize_invoice(current_uow(), cmd))


@blp.route("/<string:invoice_id>/void")
class InvoiceVoid(MethodView):
    @changes(blp, "invoices:write", response=InvoiceSchema)
    def post(self, invoice_id: str) -> Response:
        """draft or open -> void (emits InvoiceVoided); a paid invoice is never voided (409)."""
        cmd = OnResource(caller_scope(), invoice_id, if_match())
        return _answer(invoices.void_invoice(current_uow(), cmd))


@blp.route("/<string:invoice_id>/mark-uncollectible")
class InvoiceMarkUncollectible(MethodView):
    @changes(blp, "invoices:write", response=InvoiceSchema)
    def post(self, invoice_id: str) -> Response:
        """open -> uncollectible (emits InvoiceMarkedUncollectible)."""
        cmd = OnResource(caller_scope(), invoice_id, if_match())
        return _answer(invoices.mark_invoice_uncollectible(current_uow(), cmd))


@blp.route("/<string:invoice_id>/pay")
class InvoicePay(MethodView):
    @changes(blp, "invoices:write", response=InvoiceSchema, body=InvoicePaySchema, if_match=True)
    def post(self, body: dict[str, Any], invoice_id: str) -> Response:
        """Record a payment made outside any gateway (a bank transfer, cash): the open invoice is
        paid in full (InvoicePaid with `paidOutOfBand`), no gateway is charged. The merchant's only;
        a customer pays an open invoice with `POST /PaymentIntents {invoiceId}`."""
        cmd = PayOutOfBand(OnResource(caller_scope(), invoice_id, if_match()), body.get("reference"))
        return _answer(invoices.pay_out_of_band(current_uow(), cmd))


@blp.route("/<string:invoice_id>/send")
class InvoiceSend(MethodView):
    @changes(blp, "invoices:write", response=InvoiceSchema, idempotent=True)
    def post(self, invoice_id: str) -> Response:
        """E-mail the finalized invoice to the customer with its PDF attached and the hosted link;
        sets `sentAt`/`sentTo`, emits InvoiceSent. Sending again is allowed and recorded. A draft
        or a void invoice is a 409 naming the reason; so is a customer with no known e-mail."""
        return _send(invoice_id)


@blp.route("/<string:invoice_id>/sends")
class InvoiceSends(MethodView):
    @reads(blp, "invoices:read", response=InvoiceSendListSchema)
    def get(self, invoice_id: str) -> Response:
        """Every e-mail about the invoice, oldest first: the invoice itself (sent automatically
        when finalized, or by /send), its receipt, each failed payment's reminder; sent ones with
        their Message-ID, and those still waiting for the mail server with their last error and
        next try. A customer token sees its own invoices' only."""
        with reading() as uow:
            sends = mail_records.invoice_sends(uow, caller_scope(), invoice_id)
        return resource_response({"data": sends})


def _send(invoice_id: str) -> Response:
    cmd = OnResource(caller_scope(), invoice_id, if_match())
    return _answer(sending.send_invoice(current_uow(), deps(Deps), cmd))


def _require_sent_body(body: Any) -> None:
    """PUT's body, validated here rather than by a schema: each refusal names what to send."""
    if not isinstance(body, dict):
        raise Problem(
            422,
            'PUT /Invoices/{id} takes the JSON body {"status": "sent"} (it only sends the invoice).',
            errors=[FieldError("status", 'required: "sent"')],
        )
    other = sorted(k for k in body if k != "status")
    if other:
        raise Problem(
            422,
            f"PUT /Invoices/{{id}} only sets status to sent; it cannot change {', '.join(other)}.",
            errors=[FieldError(k, "cannot be changed") for k in other],
        )
    if body.get("status") != "sent":
        raise Problem(
            422,
            'The only status PUT sets is "sent"; finalize, void and mark-uncollectible have their own POSTs.',
            errors=[FieldError("status", 'must be "sent"')],
        )
