"""Which use case each event of another service runs.

- OrderCreated / OrderPaid / OrderCancelled keep the local order projection that every new intent
  is checked against.
- CustomerCreated: the customers a payment method may be saved for.
- InvoiceFinalized / InvoicePaid / InvoiceVoided / InvoiceMarkedUncollectible keep the local
  invoice projection that a payment of an open invoice is checked against.
- InvoicePaymentRequested (invoicing, a subscription's renewal invoice) records one off-session
  intent per (invoice, attempt), in this transaction with the inbox entry; the worker's
  `renewals.charge_off_session` loop makes the provider call right after (ADR 0003: never inside a
  transaction) and PaymentSucceeded / PaymentFailed v2 answer it.

The inbox has checked each event against its contract before it gets here: money moves on
InvoicePaymentRequested, and one that breaks its contract is dead-lettered, never charged on a guess.
"""

from __future__ import annotations

from billing_shared.db.uow import UnitOfWork
from billing_shared.events.catalog import TOPIC_CUSTOMERS, TOPIC_INVOICES, TOPIC_ORDERS
from billing_shared.events.envelope import Envelope
from billing_shared.events.reading import command_from
from billing_shared.inbox.consumer import ServiceHandler
from payments.bootstrap import Deps
from payments.domain.commands import RequestRenewalCharge
from payments.service_layer import invoice_projection, order_projection, payment_methods, renewals

TOPICS = [TOPIC_CUSTOMERS, TOPIC_ORDERS, TOPIC_INVOICES]


def _project_order(uow: UnitOfWork, _: Deps, event: Envelope) -> None:
    order_projection.record_order_event(uow, event.name, event.data)


def _project_invoice(uow: UnitOfWork, _: Deps, event: Envelope) -> None:
    invoice_projection.record_invoice_event(uow, event.name, event.data)


def _record_customer(uow: UnitOfWork, _: Deps, event: Envelope) -> None:
    payment_methods.record_customer(uow, str(event.data["id"]))


def _record_renewal_charge(uow: UnitOfWork, deps: Deps, event: Envelope) -> None:
    renewals.record_renewal_charge(uow, deps, command_from(RequestRenewalCharge, event.data))


HANDLERS: dict[str, ServiceHandler[Deps]] = {
    "CustomerCreated": _record_customer,
    "OrderCreated": _project_order,
    "OrderPaid": _project_order,
    "OrderCancelled": _project_order,
    "InvoiceFinalized": _project_invoice,
    "InvoicePaid": _project_invoice,
    "InvoiceVoided": _project_invoice,
    "InvoiceMarkedUncollectible": _project_invoice,
    "InvoicePaymentRequested": _record_renewal_charge,
}
