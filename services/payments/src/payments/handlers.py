"""What payments does when another service's event arrives: OrderCreated / OrderPaid /
OrderCancelled keep the local order projection that every new intent is checked against."""

from __future__ import annotations

from datetime import UTC, datetime

from billing_shared.db.uow import UnitOfWork
from billing_shared.events.catalog import TOPIC_ORDERS
from billing_shared.events.envelope import Envelope
from billing_shared.inbox.consumer import Handler
from payments.store.orders import OrderProjection

TOPICS = [TOPIC_ORDERS]


def project_order(uow: UnitOfWork, event: Envelope) -> None:
    OrderProjection(uow.session).apply(event.name, event.data, datetime.now(UTC))


HANDLERS: dict[str, Handler] = {
    "OrderCreated": project_order,
    "OrderPaid": project_order,
    "OrderCancelled": project_order,
}
