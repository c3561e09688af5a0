"""What payments' events do to invoices: an order's payment settles its invoice (and starts the
subscription of a recurring order, with the payment's saved method); a renewal charge's answer goes
to dunning. Payments and orders are two topics with no order between them: a payment of an order
not known yet is kept and applied when OrderCreated arrives (`orders.order_created`)."""

from __future__ import annotations

from datetime import UTC, datetime

from billing_shared.db.uow import UnitOfWork
from invoicing.bootstrap import Deps
from invoicing.domain.commands import ApplyPayment, ApplyPaymentFailure
from invoicing.domain.payments import OrderPayment, is_renewal_charge
from invoicing.service_layer import dunning
from invoicing.service_layer.invoices import settle_order_invoice
from invoicing.service_layer.subscriptions import start_from_order
from invoicing.store.early_payments import EarlyPayments


def settle(uow: UnitOfWork, payment: OrderPayment, now: datetime) -> bool:
    """The order's invoice paid, and the subscription of a recurring order started with the
    payment's method saved for renewals. False when the order is not known yet."""
    paid = settle_order_invoice(
        uow, payment.order_id, payment_intent_id=payment.payment_intent_id, amount=payment.amount, now=now
    )
    if paid is None:
        return False
    start_from_order(
        uow, payment.order_id, gateway_id=payment.gateway_id, token=payment.payment_method_token, now=now
    )
    return True


def settle_or_keep(uow: UnitOfWork, payment: OrderPayment, now: datetime) -> None:
    if not settle(uow, payment, now):
        EarlyPayments(uow.session).keep(payment, now)


def payment_succeeded(uow: UnitOfWork, cmd: ApplyPayment) -> None:
    """PaymentSucceeded: a renewal charge paid, or an order's payment (v2 carries the method's
    token, which the order's subscription saves). One naming neither changes nothing."""
    now = datetime.now(UTC)
    if is_renewal_charge(cmd.order_id, cmd.invoice_id):
        dunning.charge_succeeded(uow, cmd, now)
        return
    if cmd.order_id is None:
        return
    payment = OrderPayment(
        order_id=cmd.order_id,
        payment_intent_id=cmd.payment_intent_id,
        amount=cmd.amount,
        gateway_id=cmd.gateway_id,
        payment_method_token=cmd.payment_method_token,
    )
    settle_or_keep(uow, payment, now)


def payment_failed(uow: UnitOfWork, deps: Deps, cmd: ApplyPaymentFailure) -> None:
    """PaymentFailed: only renewal charges concern invoicing; dunning retries them on the
    configured schedule or gives up."""
    if is_renewal_charge(cmd.order_id, cmd.invoice_id):
        dunning.charge_failed(
            uow, cmd, datetime.now(UTC), deps.settings.dunning_retry_days, sender=deps.settings.mail_from
        )
