"""What orders' events do: OrderCreated keeps the priced order and drafts its invoice (a payment
that came first is applied now); OrderPaid with no payment intent (a total of 0) settles it without
a payment; OrderCancelled voids a draft. Each runs in the worker's one transaction with the inbox
entry."""

from __future__ import annotations

from datetime import UTC, datetime

from billing_shared.db.uow import UnitOfWork
from invoicing.domain import invoices
from invoicing.domain.commands import RecordOrder, RecordOrderCancelled, RecordOrderPaid
from invoicing.domain.payments import OrderPayment
from invoicing.service_layer.invoices import draft_from_order, save_invoice
from invoicing.service_layer.payments import settle, settle_or_keep
from invoicing.store.early_payments import EarlyPayments
from invoicing.store.invoices import InvoiceRepository
from invoicing.store.orders import OrderProjection


def order_created(uow: UnitOfWork, cmd: RecordOrder) -> None:
    now = datetime.now(UTC)
    projection = OrderProjection(uow.session)
    projection.add(cmd, now)
    order = projection.get(cmd.order_id)
    assert order is not None
    draft_from_order(uow, order, now)
    early = EarlyPayments(uow.session).take(order["id"])
    if early is not None:
        settle(uow, early, now)


def order_paid(uow: UnitOfWork, cmd: RecordOrderPaid) -> None:
    now = datetime.now(UTC)
    OrderProjection(uow.session).set_status(cmd.order_id, "paid", cmd.payment_intent_id, now)
    if cmd.payment_intent_id is not None:
        return  # PaymentSucceeded settles the invoice of a paid-through-a-gateway order
    settle_or_keep(uow, OrderPayment(order_id=cmd.order_id, payment_intent_id=None, amount=0), now)


def order_cancelled(uow: UnitOfWork, cmd: RecordOrderCancelled) -> None:
    now = datetime.now(UTC)
    OrderProjection(uow.session).set_status(cmd.order_id, "cancelled", None, now)
    invoice = InvoiceRepository(uow.session).by_order(cmd.order_id, for_update=True)
    if invoice is not None and invoice.status == invoices.DRAFT:
        voided, events = invoices.void(invoice, now)
        save_invoice(uow, invoice, voided, events)
