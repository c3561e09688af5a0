"""What orders does when another service's event arrives.

- CustomerCreated / CustomerUpdated: the local customer projection (existence, address for tax).
- PaymentIntentCreated / InvoiceCreated: the order records the ids of its intents and its invoice.
- PaymentSucceeded: the order is paid (emits OrderPaid). PaymentRefunded: refunded in part or whole
  (by its `amountRefunded`, the payment's running total).
"""

from __future__ import annotations

from datetime import UTC, datetime

from billing_shared.db.uow import UnitOfWork
from billing_shared.events.catalog import TOPIC_CUSTOMERS, TOPIC_INVOICES, TOPIC_PAYMENTS
from billing_shared.events.envelope import Envelope
from billing_shared.inbox.consumer import Handler
from orders.domain import orders as rules
from orders.store.orders import CustomerProjection, OrderRepository

TOPICS = [TOPIC_CUSTOMERS, TOPIC_PAYMENTS, TOPIC_INVOICES]


def project_customer(uow: UnitOfWork, event: Envelope) -> None:
    CustomerProjection(uow.session).apply(event.data, datetime.now(UTC))


def _order_of(uow: UnitOfWork, event: Envelope) -> tuple[OrderRepository, rules.Order | None]:
    repo = OrderRepository(uow.session)
    order_id = event.data.get("orderId")
    return repo, repo.get(order_id, for_update=True) if isinstance(order_id, str) else None


def payment_succeeded(uow: UnitOfWork, event: Envelope) -> None:
    repo, order = _order_of(uow, event)
    if order is None:
        return
    paid, events = rules.mark_paid(
        order,
        payment_intent_id=event.data.get("id"),
        amount=int(event.data.get("amount", 0)),
        now=datetime.now(UTC),
    )
    if events:
        if not repo.save(paid, expected_version=order.version):
            raise RuntimeError(f"order {order.id} changed concurrently; retrying the event")
        for e in events:
            uow.emit(e)


def payment_refunded(uow: UnitOfWork, event: Envelope) -> None:
    repo, order = _order_of(uow, event)
    if order is None:
        return
    refunded = rules.record_refund(order, int(event.data.get("amountRefunded", 0)), datetime.now(UTC))
    if refunded is not order and not repo.save(refunded, expected_version=order.version):
        raise RuntimeError(f"order {order.id} changed concurrently; retrying the event")


def payment_intent_created(uow: UnitOfWork, event: Envelope) -> None:
    repo, order = _order_of(uow, event)
    if order is not None and isinstance(event.data.get("id"), str):
        repo.save_links(rules.add_payment_intent(order, event.data["id"], datetime.now(UTC)))


def invoice_created(uow: UnitOfWork, event: Envelope) -> None:
    repo, order = _order_of(uow, event)
    if order is not None and isinstance(event.data.get("id"), str):
        repo.save_links(rules.set_invoice(order, event.data["id"], datetime.now(UTC)))


HANDLERS: dict[str, Handler] = {
    "CustomerCreated": project_customer,
    "CustomerUpdated": project_customer,
    "PaymentIntentCreated": payment_intent_created,
    "PaymentSucceeded": payment_succeeded,
    "PaymentRefunded": payment_refunded,
    "InvoiceCreated": invoice_created,
}
