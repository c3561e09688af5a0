"""/api/v1/Invoices: the order's invoice, read, finalized, voided, written off, sent.

Drafts are made from the order projection (OrderCreated data), never recomputed; the number is
taken at finalization from a locked counter in the request's one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, jsonify, make_response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.auth.flask import requires
from billing_shared.db.timestamps import iso
from billing_shared.db.uow import UnitOfWork
from billing_shared.errors import FieldError, Problem
from billing_shared.events.domain import DomainEvent
from billing_shared.projection import await_known
from billing_shared.web.etag import check_if_match, etag
from billing_shared.web.transaction import current_uow, transactional
from invoicing import flows, sending
from invoicing.api import access
from invoicing.api.access import hosted_links, party_of, settings
from invoicing.api.schemas import InvoiceCreateSchema, InvoiceListArgs, InvoiceListSchema, InvoiceSchema
from invoicing.domain import invoices as rules
from invoicing.domain.invoices import Invoice
from invoicing.mail import MailError
from invoicing.render import Party
from invoicing.store.invoices import InvoiceRepository, OrderProjection

blp = Blueprint("invoices", __name__, url_prefix="/api/v1/Invoices", description="Invoices of orders")
_BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
_IDEMPOTENCY = [{"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"}}]


def _hosted_url(inv: Invoice) -> str | None:
    """A fresh signed link on every read of a finalized invoice; a draft has none."""
    return None if inv.status == rules.DRAFT else hosted_links().url(inv.id, datetime.now(UTC))


def to_wire(inv: Invoice) -> dict[str, Any]:
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
        "lines": priced["lines"],
        "subtotal": inv.priced.subtotal,
        "discountTotal": inv.priced.discount_total,
        "taxTotal": inv.priced.tax_total,
        "total": inv.priced.total,
        "amountPaid": inv.amount_paid,
        "amountDue": 0 if inv.status in (rules.PAID, rules.VOID) else inv.priced.total - inv.amount_paid,
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
        "hostedInvoiceUrl": _hosted_url(inv),
        "sentAt": iso(inv.sent_at),
        "sentTo": inv.sent_to,
        "amountRefunded": inv.amount_refunded,
        "disputed": inv.disputed,
        "disputedAt": iso(inv.disputed_at),
    }


def _respond(inv: Invoice, status: int = 200) -> Response:
    resp = make_response(jsonify(to_wire(inv)), status)
    resp.headers["ETag"] = etag(inv.version)
    if status == 201:
        resp.headers["Location"] = f"/api/v1/Invoices/{inv.id}"
    return resp


def _locked(uow: UnitOfWork, invoice_id: str) -> Invoice:
    """The invoice, row-locked for this request's change (404 as `access.visible`)."""
    return access.visible_invoice(InvoiceRepository(uow.session).get(invoice_id, for_update=True), invoice_id)


def _unknown_order(order_id: str) -> Problem:
    return Problem(422, f"No order '{order_id}'.", errors=[FieldError("orderId", "unknown order")])


@blp.route("")
class InvoicesCollection(MethodView):
    @requires("invoices:read")
    @blp.arguments(InvoiceListArgs, location="query")
    @blp.response(200, InvoiceListSchema)
    @blp.doc(security=_BEARER)
    def get(self, args: dict[str, Any]) -> Response:
        """List invoices, oldest first; filter by `customerId`, `orderId` and `status`."""
        return access.list_page(
            args,
            lambda session, customer_id, n: InvoiceRepository(session).page(
                limit=n,
                starting_after=args["starting_after"],
                customer_id=customer_id,
                order_id=args.get("order_id"),
                status=args.get("status"),
                subscription_id=args.get("subscription_id"),
            ),
            lambda _, items: [to_wire(i) for i in items],
        )

    @requires("invoices:write")
    @transactional
    @blp.arguments(InvoiceCreateSchema)
    @blp.response(201, InvoiceSchema)
    @blp.alt_response(
        200, schema=InvoiceSchema, description="The order already has its invoice: that invoice"
    )
    @blp.doc(security=_BEARER, parameters=_IDEMPOTENCY)
    def post(self, body: dict[str, Any]) -> Response:
        """The order's invoice: 201 when this call drafts it from the order, 200 when it exists.
        One invoice per order, ever. An order not known (after a short wait) is a 422."""
        order_id, own = body["order_id"], access.own_customer()
        wait: float = current_app.extensions["billing_settings"].projection_wait_seconds
        order = await_known(access.db(), lambda session: OrderProjection(session).get(order_id), wait)
        if order is None or (own is not None and order["customer_id"] != own):
            raise _unknown_order(order_id)
        invoice, created = flows.draft_from_order(current_uow(), order, datetime.now(UTC))
        return _respond(invoice, 201 if created else 200)


@blp.route("/<string:invoice_id>")
class InvoiceItem(MethodView):
    @requires("invoices:read")
    @blp.response(200, InvoiceSchema)
    @blp.doc(security=_BEARER)
    def get(self, invoice_id: str) -> Response:
        """One invoice with its lines, totals, number and allowed actions."""
        with access.db().unit_of_work(write=False) as uow:
            invoice = access.visible_invoice(InvoiceRepository(uow.session).get(invoice_id), invoice_id)
        return _respond(invoice)

    @requires("invoices:write")
    @transactional
    @blp.response(200, InvoiceSchema)
    @blp.doc(
        security=_BEARER,
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


def _change(
    invoice_id: str, change: Callable[[Invoice, datetime], tuple[Invoice, list[DomainEvent]]]
) -> Response:
    uow = current_uow()
    invoice = access.visible_invoice(
        InvoiceRepository(uow.session).get(invoice_id, for_update=True), invoice_id
    )
    check_if_match(invoice.version)
    after, events = change(invoice, datetime.now(UTC))
    try:
        return _respond(flows.save(uow, invoice, after, events))
    except flows.ConcurrentChange:
        raise Problem(409, "The invoice changed while this request ran; retry.") from None


@blp.route("/<string:invoice_id>/finalize")
class InvoiceFinalize(MethodView):
    @requires("invoices:write")
    @transactional
    @blp.response(200, InvoiceSchema)
    @blp.doc(security=_BEARER)
    def post(self, invoice_id: str) -> Response:
        """draft -> open: the next gapless number of its series and year; content frozen
        (emits InvoiceFinalized). For orders paid outside a gateway, e.g. a bank transfer."""
        access.require_merchant("finalize", "an invoice")
        uow = current_uow()
        invoice = access.visible_invoice(
            InvoiceRepository(uow.session).get(invoice_id, for_update=True), invoice_id
        )
        check_if_match(invoice.version)
        return _respond(flows.finalize(uow, invoice, datetime.now(UTC)))


@blp.route("/<string:invoice_id>/void")
class InvoiceVoid(MethodView):
    @requires("invoices:write")
    @transactional
    @blp.response(200, InvoiceSchema)
    @blp.doc(security=_BEARER)
    def post(self, invoice_id: str) -> Response:
        """draft or open -> void (emits InvoiceVoided); a paid invoice is never voided (409)."""
        access.require_merchant("void", "an invoice")
        return _change(invoice_id, rules.void)


@blp.route("/<string:invoice_id>/mark-uncollectible")
class InvoiceMarkUncollectible(MethodView):
    @requires("invoices:write")
    @transactional
    @blp.response(200, InvoiceSchema)
    @blp.doc(security=_BEARER)
    def post(self, invoice_id: str) -> Response:
        """open -> uncollectible (emits InvoiceMarkedUncollectible)."""
        access.require_merchant("write off", "an invoice")
        return _change(invoice_id, rules.mark_uncollectible)


def _require_sent_body(body: Any) -> None:
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


def _wait() -> float:
    wait: float = current_app.extensions["billing_settings"].projection_wait_seconds
    return wait


def _emailable(session: Any, customer_id: str) -> Party | None:
    party = party_of(session, customer_id)
    return party if party.buyer.email else None


def _send(invoice_id: str) -> Response:
    """Refuse what cannot be sent (nothing changes), e-mail it with no transaction open, then
    record the sending in the request's transaction (see invoicing.sending for why that order)."""
    access.require_merchant("send", "an invoice")
    with access.db().unit_of_work(write=False) as uow:
        invoice = access.visible_invoice(InvoiceRepository(uow.session).get(invoice_id), invoice_id)
        party = party_of(uow.session, invoice.customer_id)
    check_if_match(invoice.version)
    rules.check_sendable(invoice)
    if not party.buyer.email:  # CustomerCreated may still be on its way: a short, bounded wait
        party = (
            await_known(access.db(), lambda session: _emailable(session, invoice.customer_id), _wait())
            or party
        )
    if not party.buyer.email:
        raise Problem(
            409,
            f"Invoice '{invoice.id}' cannot be sent: no e-mail address is known for customer "
            f"'{invoice.customer_id}' yet.",
            extra={"invoiceStatus": invoice.status},
        )
    try:
        mail = sending.deliver(invoice, party, settings(), hosted_links().url(invoice.id, datetime.now(UTC)))
    except MailError as exc:
        raise Problem(
            502, f"The invoice e-mail could not be delivered: {exc}; nothing was recorded."
        ) from None
    return _respond(sending.record(current_uow(), invoice.id, party.buyer.email, mail, datetime.now(UTC)))


@blp.route("/<string:invoice_id>/send")
class InvoiceSend(MethodView):
    @requires("invoices:write")
    @transactional
    @blp.response(200, InvoiceSchema)
    @blp.doc(security=_BEARER, parameters=_IDEMPOTENCY)
    def post(self, invoice_id: str) -> Response:
        """E-mail the finalized invoice to the customer with its PDF attached and the hosted link;
        sets `sentAt`/`sentTo`, emits InvoiceSent. Sending again is allowed and recorded. A draft
        or a void invoice is a 409 naming the reason; so is a customer with no known e-mail."""
        return _send(invoice_id)
