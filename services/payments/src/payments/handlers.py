"""What payments does when another service's event arrives.

- OrderCreated / OrderPaid / OrderCancelled keep the local order projection that every new intent
  is checked against.
- InvoicePaymentRequested (invoicing, a subscription's renewal invoice) records one off-session
  intent per (invoice, attempt), in this transaction with the inbox entry; the worker's
  `Flows.charge_off_session` loop makes the provider call right after (ADR 0003: never inside a
  transaction) and PaymentSucceeded / PaymentFailed v2 answer it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from billing_shared.db.uow import UnitOfWork
from billing_shared.events import contracts
from billing_shared.events.catalog import TOPIC_INVOICES, TOPIC_ORDERS
from billing_shared.events.envelope import Envelope
from billing_shared.inbox.consumer import Handler
from payments.flows import Flows
from payments.store.orders import OrderProjection

TOPICS = [TOPIC_ORDERS, TOPIC_INVOICES]


def project_order(uow: UnitOfWork, event: Envelope) -> None:
    OrderProjection(uow.session).apply(event.name, event.data, datetime.now(UTC))


def invoice_payment_requested(flows: Flows) -> Handler:
    def handle(uow: UnitOfWork, event: Envelope) -> None:
        # Money moves on this event: one that breaks its contract is refused (retried, then parked
        # in the dead-letter topic with the reason), never charged on a guess.
        contracts.check(event.name, event.version, event.data)
        flows.record_renewal(uow, event.data)

    return handle


def handlers(flows: Flows) -> dict[str, Handler]:
    return HANDLERS | {"InvoicePaymentRequested": invoice_payment_requested(flows)}


# The handlers that need no gateway (the order projection); `handlers(flows)` adds the rest.
HANDLERS: dict[str, Handler] = {
    "OrderCreated": project_order,
    "OrderPaid": project_order,
    "OrderCancelled": project_order,
}
