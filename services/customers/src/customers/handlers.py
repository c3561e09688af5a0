"""What customers does when another service's event arrives: record the customer's references."""

from __future__ import annotations

from datetime import UTC, datetime

from billing_shared.db.uow import UnitOfWork
from billing_shared.events.catalog import TOPIC_INVOICES, TOPIC_ORDERS, TOPIC_PAYMENTS, TOPIC_SUBSCRIPTIONS
from billing_shared.events.envelope import Envelope
from billing_shared.inbox.consumer import Handler
from customers.domain.references import REFERENCE_EVENTS, reference_from
from customers.store.repository import CustomerRepository

TOPICS = [TOPIC_ORDERS, TOPIC_PAYMENTS, TOPIC_INVOICES, TOPIC_SUBSCRIPTIONS]


def record_reference(uow: UnitOfWork, event: Envelope) -> None:
    ref = reference_from(event.name, event.data)
    if ref is None:
        return
    repo = CustomerRepository(uow.session)
    if not repo.has_reference(ref):
        repo.add_reference(ref, datetime.now(UTC))


HANDLERS: dict[str, Handler] = {name: record_reference for name in REFERENCE_EVENTS}
