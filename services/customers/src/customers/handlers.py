"""Which use case each event of another service runs: the references a customer's orders, payment
intents, invoices and subscriptions leave on it, the default payment method payments chose, and
the credit balance invoicing keeps."""

from __future__ import annotations

from billing_shared.db.uow import UnitOfWork
from billing_shared.events.catalog import TOPIC_INVOICES, TOPIC_ORDERS, TOPIC_PAYMENTS, TOPIC_SUBSCRIPTIONS
from billing_shared.events.envelope import Envelope
from billing_shared.events.reading import command_from
from billing_shared.inbox.consumer import ServiceHandler
from customers.bootstrap import Deps
from customers.domain.commands import RecordDefaultMethod
from customers.domain.references import REFERENCE_EVENTS
from customers.service_layer import customers

TOPICS = [TOPIC_ORDERS, TOPIC_PAYMENTS, TOPIC_INVOICES, TOPIC_SUBSCRIPTIONS]


def _record_reference(uow: UnitOfWork, _: Deps, event: Envelope) -> None:
    customers.record_reference(uow, event.name, event.data)


def _record_default_method(uow: UnitOfWork, _: Deps, event: Envelope) -> None:
    customers.record_default_method(uow, command_from(RecordDefaultMethod, event.data))


HANDLERS: dict[str, ServiceHandler[Deps]] = {name: _record_reference for name in REFERENCE_EVENTS}
HANDLERS["PaymentMethodDefaultChanged"] = _record_default_method


def _record_credit_balance(uow: UnitOfWork, _: Deps, event: Envelope) -> None:
    customers.record_credit_balance(uow, dict(event.data))


HANDLERS["CustomerBalanceChanged"] = _record_credit_balance
