"""What invoicing does when another service's event arrives.

- OrderCreated: the order projection (the whole priced order) and the order's draft invoice;
  a payment that arrived before it is applied now.
- PaymentSucceeded: the order's invoice is finalized (if still a draft) and marked paid
  (InvoiceFinalized, InvoicePaid); before OrderCreated arrived, the payment is kept for it.
- OrderPaid with `paymentIntentId` null (a total of 0): the same without a payment.
- OrderCancelled: a draft invoice is voided.
Each runs in the worker's one transaction with the inbox entry.
"""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime

from billing_shared.db.uow import UnitOfWork
from billing_shared.events import contracts
from billing_shared.events.catalog import TOPIC_CUSTOMERS, TOPIC_ORDERS, TOPIC_PAYMENTS
from billing_shared.events.envelope import Envelope
from billing_shared.inbox.consumer import Handler
from invoicing import flows, subscription_flows
from invoicing.config import InvoicingSettings
from invoicing.domain import invoices as rules
from invoicing.handlers_customers import CUSTOMER_HANDLERS
from invoicing.handlers_refunds import REFUND_HANDLERS
from invoicing.handlers_subscriptions import SUBSCRIPTION_HANDLERS
from invoicing.store.invoices import EarlyPayment, EarlyPayments, InvoiceRepository, OrderProjection

TOPICS = [TOPIC_ORDERS, TOPIC_PAYMENTS, TOPIC_CUSTOMERS]
log = logging.getLogger(__name__)


def _breaks_contract(event: Envelope) -> bool:
    """An event that breaks its published schema can never be applied: retrying it only delays
    the events behind it (a fresh consumer group reads the topic's whole history). It is logged
    and skipped at once."""
    try:
        contracts.check(event.name, event.version, event.data)
    except contracts.ContractError as exc:
        log.warning("event ignored: it breaks its contract", extra={"event_id": event.id, "error": str(exc)})
        return True
    return False


@functools.cache
def dunning_schedule() -> tuple[int, ...]:
    """Days after a renewal's first charge on which a failed charge is tried again (settings)."""
    return InvoicingSettings().dunning_retry_days


def _settle(uow: UnitOfWork, payment: EarlyPayment, now: datetime) -> bool:
    """The order's invoice paid, and the subscription of a recurring order started with the
    payment's method saved for renewals. False when the order is not known yet."""
    paid = flows.settle(
        uow, payment.order_id, payment_intent_id=payment.payment_intent_id, amount=payment.amount, now=now
    )
    if paid is None:
        return False
    subscription_flows.start_from_order(
        uow, payment.order_id, gateway_id=payment.gateway_id, token=payment.payment_method_token, now=now
    )
    return True


def order_created(uow: UnitOfWork, event: Envelope) -> None:
    if _breaks_contract(event):
        return
    now = datetime.now(UTC)
    projection = OrderProjection(uow.session)
    projection.add_created(event.data, now)
    order = projection.get(event.data["id"])
    assert order is not None
    flows.draft_from_order(uow, order, now)
    early = EarlyPayments(uow.session).take(order["id"])
    if early is not None:
        _settle(uow, early, now)


def payment_succeeded(uow: UnitOfWork, event: Envelope) -> None:
    data, now = event.data, datetime.now(UTC)
    if isinstance(data.get("invoiceId"), str) and data.get("orderId") is None:
        subscription_flows.charge_succeeded(uow, data, now)  # a renewal charge
        return
    if not isinstance(data.get("orderId"), str):
        return
    payment = EarlyPayment(
        order_id=data["orderId"],
        payment_intent_id=data.get("id"),
        amount=int(data.get("amount", 0)),
        gateway_id=data.get("gatewayId"),
        payment_method_token=data.get("paymentMethodToken"),  # v2 carries it
    )
    if not _settle(uow, payment, now):
        EarlyPayments(uow.session).keep(payment, now)


def payment_failed(uow: UnitOfWork, event: Envelope) -> None:
    """Only renewal charges concern invoicing: dunning retries them or gives up."""
    data = event.data
    if isinstance(data.get("invoiceId"), str) and data.get("orderId") is None:
        subscription_flows.charge_failed(uow, data, datetime.now(UTC), dunning_schedule())


def order_paid(uow: UnitOfWork, event: Envelope) -> None:
    if _breaks_contract(event):
        return
    now = datetime.now(UTC)
    OrderProjection(uow.session).set_status(event.data["id"], "paid", event.data.get("paymentIntentId"), now)
    if event.data.get("paymentIntentId") is not None:
        return  # PaymentSucceeded settles the invoice of a paid-through-a-gateway order
    payment = EarlyPayment(order_id=event.data["id"], payment_intent_id=None, amount=0)
    if not _settle(uow, payment, now):
        EarlyPayments(uow.session).keep(payment, now)


def order_cancelled(uow: UnitOfWork, event: Envelope) -> None:
    if _breaks_contract(event):
        return
    now = datetime.now(UTC)
    OrderProjection(uow.session).set_status(event.data["id"], "cancelled", None, now)
    invoice = InvoiceRepository(uow.session).by_order(event.data["id"], for_update=True)
    if invoice is not None and invoice.status == rules.DRAFT:
        voided, events = rules.void(invoice, now)
        flows.save(uow, invoice, voided, events)


HANDLERS: dict[str, Handler] = {
    "OrderCreated": order_created,
    "OrderPaid": order_paid,
    "OrderCancelled": order_cancelled,
    "PaymentSucceeded": payment_succeeded,
    "PaymentFailed": payment_failed,
    **CUSTOMER_HANDLERS,
    **REFUND_HANDLERS,
    **SUBSCRIPTION_HANDLERS,
}
