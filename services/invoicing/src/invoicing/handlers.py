"""Which use case each event of another service runs, with the command its data makes, in the
worker's one transaction with the inbox entry. The inbox has checked the event against its
contract before it gets here.

- CustomerCreated / CustomerUpdated: the customer projection (the buyer of every document).
- ProductCreated / ProductUpdated / TaxRuleCreated / TaxRuleUpdated: the catalog projection that
  prices a subscription's change.
- OrderCreated: the order projection and the order's draft invoice; OrderPaid (a total of 0) and
  OrderCancelled: settled without a payment, or a draft voided.
- PaymentSucceeded / PaymentFailed: an order's invoice settled, or a renewal charge's answer.
- PaymentRefunded / PaymentDisputed: a credit note per refund, the dispute flag.
"""

from __future__ import annotations

from billing_shared.db.uow import UnitOfWork
from billing_shared.events.catalog import TOPIC_CATALOG, TOPIC_CUSTOMERS, TOPIC_ORDERS, TOPIC_PAYMENTS
from billing_shared.events.envelope import Envelope
from billing_shared.events.reading import command_from
from billing_shared.inbox.consumer import ServiceHandler
from invoicing.bootstrap import Deps
from invoicing.domain.commands import (
    ApplyPayment,
    ApplyPaymentFailure,
    CreditRefund,
    FlagDispute,
    RecordCustomer,
    RecordOrder,
    RecordOrderCancelled,
    RecordOrderPaid,
)
from invoicing.service_layer import credit_notes, orders, payments, projections

TOPICS = [TOPIC_ORDERS, TOPIC_PAYMENTS, TOPIC_CUSTOMERS, TOPIC_CATALOG]


def _customer_changed(uow: UnitOfWork, _: Deps, event: Envelope) -> None:
    projections.record_customer(uow, RecordCustomer.from_event(event.data))


def _product_changed(uow: UnitOfWork, _: Deps, event: Envelope) -> None:
    projections.record_product(uow, dict(event.data))


def _tax_rule_changed(uow: UnitOfWork, _: Deps, event: Envelope) -> None:
    projections.record_tax_rule(uow, dict(event.data))


def _order_created(uow: UnitOfWork, _: Deps, event: Envelope) -> None:
    orders.order_created(uow, RecordOrder.from_event(event.data))


def _order_paid(uow: UnitOfWork, _: Deps, event: Envelope) -> None:
    orders.order_paid(uow, command_from(RecordOrderPaid, event.data, order_id="id"))


def _order_cancelled(uow: UnitOfWork, _: Deps, event: Envelope) -> None:
    orders.order_cancelled(uow, command_from(RecordOrderCancelled, event.data, order_id="id"))


def _payment_succeeded(uow: UnitOfWork, _: Deps, event: Envelope) -> None:
    payments.payment_succeeded(uow, command_from(ApplyPayment, event.data, payment_intent_id="id"))


def _payment_failed(uow: UnitOfWork, deps: Deps, event: Envelope) -> None:
    payments.payment_failed(uow, deps, command_from(ApplyPaymentFailure, event.data, payment_intent_id="id"))


def _payment_refunded(uow: UnitOfWork, _: Deps, event: Envelope) -> None:
    credit_notes.credit_refund(uow, command_from(CreditRefund, event.data, payment_intent_id="id"))


def _payment_disputed(uow: UnitOfWork, _: Deps, event: Envelope) -> None:
    credit_notes.flag_dispute(uow, command_from(FlagDispute, event.data, payment_intent_id="id"))


HANDLERS: dict[str, ServiceHandler[Deps]] = {
    "CustomerCreated": _customer_changed,
    "CustomerUpdated": _customer_changed,
    "ProductCreated": _product_changed,
    "ProductUpdated": _product_changed,
    "TaxRuleCreated": _tax_rule_changed,
    "TaxRuleUpdated": _tax_rule_changed,
    "OrderCreated": _order_created,
    "OrderPaid": _order_paid,
    "OrderCancelled": _order_cancelled,
    "PaymentSucceeded": _payment_succeeded,
    "PaymentFailed": _payment_failed,
    "PaymentRefunded": _payment_refunded,
    "PaymentDisputed": _payment_disputed,
}
