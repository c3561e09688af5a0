"""Which use case each event of another service runs.

- CustomerCreated / CustomerUpdated: the local customer projection (existence, address for tax).
- PaymentMethodDefaultChanged: the customer's default method (a trial needs one, and names it).
- PaymentIntentCreated / InvoiceCreated: the order records the ids of its intents and its invoice.
- PaymentSucceeded: the order is paid (OrderPaid). PaymentRefunded: refunded in part or whole, by
  the payment's running total `amountRefunded`.
A renewal's payment and invoice name no order (`orderId` null): nothing changes here.
"""

from __future__ import annotations

from billing_shared.db.uow import UnitOfWork
from billing_shared.events.catalog import TOPIC_CUSTOMERS, TOPIC_INVOICES, TOPIC_PAYMENTS
from billing_shared.events.envelope import Envelope
from billing_shared.inbox.consumer import ServiceHandler
from orders.bootstrap import Deps
from orders.service_layer import customers, orders

TOPICS = [TOPIC_CUSTOMERS, TOPIC_PAYMENTS, TOPIC_INVOICES]


def _customer_changed(uow: UnitOfWork, _: Deps, event: Envelope) -> None:
    customers.project_customer(uow, event.data)


def _default_method_changed(uow: UnitOfWork, _: Deps, event: Envelope) -> None:
    customers.project_default_method(uow, event.data)


def _payment_succeeded(uow: UnitOfWork, _: Deps, event: Envelope) -> None:
    orders.mark_paid(
        uow, event.data["orderId"], payment_intent_id=event.data["id"], amount=event.data["amount"]
    )


def _payment_refunded(uow: UnitOfWork, _: Deps, event: Envelope) -> None:
    orders.record_refund(uow, event.data["orderId"], amount_refunded=event.data["amountRefunded"])


def _payment_intent_created(uow: UnitOfWork, _: Deps, event: Envelope) -> None:
    orders.link_payment_intent(uow, event.data["orderId"], event.data["id"])


def _invoice_created(uow: UnitOfWork, _: Deps, event: Envelope) -> None:
    orders.link_invoice(uow, event.data["orderId"], event.data["id"])


HANDLERS: dict[str, ServiceHandler[Deps]] = {
    "CustomerCreated": _customer_changed,
    "CustomerUpdated": _customer_changed,
    "PaymentIntentCreated": _payment_intent_created,
    "PaymentSucceeded": _payment_succeeded,
    "PaymentMethodDefaultChanged": _default_method_changed,
    "PaymentRefunded": _payment_refunded,
    "InvoiceCreated": _invoice_created,
}
