"""Paying an order: checked against the order, recorded, created at the gateway exactly once
(ADR 0003); and reading intents.

`create_intent` runs inside the request's own transaction (`uow`, which the kit's `@transactional`
commits with the Idempotency-Key record), but leaves it untouched until the provider has answered:
the checks and the intent row commit in transactions of their own *before* the provider is called,
so no database lock is held across that call, and only the answer commits in `uow`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from billing_shared.db.owned import OwnedReads
from billing_shared.db.uow import UnitOfWork
from billing_shared.errors import FieldError, Problem
from billing_shared.ids import new_id
from payments.bootstrap import Deps
from payments.domain import intents, invoices, orders, payment_methods
from payments.domain.commands import CreateIntent
from payments.domain.intents import PaymentIntent
from payments.domain.payment_methods import ChargedWith
from payments.domain.request_keys import reused_with_another_request
from payments.service_layer import payment_methods as payment_methods_service
from payments.service_layer.gateways import choose_gateway
from payments.service_layer.intent_calls import apply_create, call_create
from payments.service_layer.invoice_projection import await_invoice
from payments.service_layer.order_projection import await_order
from payments.service_layer.provider_calls import CallPending, resume, unanswered
from payments.store.intents import IntentRepository
from payments.store.payment_methods import PaymentMethodRepository


def create_intent(uow: UnitOfWork, deps: Deps, cmd: CreateIntent) -> PaymentIntent:
    """Pay an order or an open invoice: checked against it as payments knows it (amount, currency,
    unpaid; another customer's is an unknown one), recorded, then created at the gateway. A declined
    payment is an intent `failed`; a gateway that did not answer is a 503 naming the intent kept."""
    payable = _payable(deps, cmd)
    if cmd.save_payment_method:
        cmd = _save_card_first(deps, cmd, payable.customer_id)
    charged_with, method_gateway = _charged_with(deps, cmd, payable.customer_id)
    gateway_id = choose_gateway(
        deps, cmd.gateway_id or method_gateway, currency=cmd.currency, capture_method=cmd.capture_method
    )
    if method_gateway is not None and gateway_id != method_gateway:
        raise Problem(
            422,
            f"Payment method '{cmd.payment_method_id}' is saved at gateway '{method_gateway}'.",
            errors=[FieldError("gatewayId", f"must be the method's gateway, {method_gateway}")],
        )
    intent, call = _record(deps, cmd, payable, gateway_id, charged_with)
    if not call:
        return intent
    try:
        answer = call_create(deps, intent)
    except CallPending as exc:
        raise unanswered(gateway_id, "payment intent", intent.id, "paymentIntentId") from exc
    return apply_create(uow, intent.id, answer)


def _payable(deps: Deps, cmd: CreateIntent) -> intents.Payable:
    """The order or the open invoice the payer may pay, checked; an invoice of an order is paid
    as that order (its intent names both, so the order is held and paid too)."""
    if cmd.invoice_id is not None:
        invoice = await_invoice(deps, cmd.invoice_id)
        if not cmd.scope.sees(invoice.customer_id):
            raise invoices.unknown_invoice(cmd.invoice_id)
        invoices.check_payable(invoice, amount=cmd.amount, currency=cmd.currency)
        return intents.Payable.of_invoice(invoice)
    assert cmd.order_id is not None  # the API asks for one of the two
    order = await_order(deps, cmd.order_id)
    if not cmd.scope.sees(order.customer_id):
        raise orders.unknown_order(cmd.order_id)
    intents.check_payable(order, amount=cmd.amount, currency=cmd.currency)
    return intents.Payable.of_order(order)


def _save_card_first(deps: Deps, cmd: CreateIntent, customer_id: str) -> CreateIntent:
    """`savePaymentMethod`: the token's card is saved for the customer first (committed; the same
    request again finds it), then charged as a saved method, the provider told it will be charged
    again without the customer (Stripe: `setup_future_usage`). A payment that then fails leaves
    the card saved, as the customer asked; they may detach it."""
    assert cmd.payment_method_token is not None  # the API refuses savePaymentMethod without a token
    gateway_id = choose_gateway(
        deps, cmd.gateway_id, currency=cmd.currency, capture_method=cmd.capture_method
    )
    with deps.db.unit_of_work() as saving:
        method = payment_methods_service.save_card(
            saving,
            deps,
            customer_id=customer_id,
            gateway_id=gateway_id,
            token=cmd.payment_method_token,
            request=cmd.request,
            set_default=False,
        )
        saving.commit()
    return replace(cmd, payment_method_token=None, payment_method_id=method.id, gateway_id=gateway_id)


def _charged_with(deps: Deps, cmd: CreateIntent, customer_id: str) -> tuple[ChargedWith, str | None]:
    """The token, or the saved method (the payer's own, attached, not expired) with its gateway."""
    if cmd.payment_method_id is None:
        assert cmd.payment_method_token is not None  # the API asks for one of the two
        return ChargedWith(cmd.payment_method_token), None
    with deps.db.unit_of_work(write=False) as read:
        method = PaymentMethodRepository(read.session).get(cmd.payment_method_id)
    if method is None:
        raise payment_methods.unknown_method(cmd.payment_method_id)
    payment_methods.check_usable(method, customer_id=customer_id, today=datetime.now(UTC))
    return ChargedWith.saved(method), method.gateway_id


def _record(
    deps: Deps, cmd: CreateIntent, payable: intents.Payable, gateway_id: str, charged_with: ChargedWith
) -> tuple[PaymentIntent, bool]:
    """Step 1: the intent row, committed, with its provider call claimed. Returns (intent, call):
    `call` is False when this same request (client and Idempotency-Key) already has its answer."""
    request = cmd.request
    with deps.db.unit_of_work() as record:
        repo = IntentRepository(record.session)
        prior = (
            repo.by_request_key(request.client_id, request.key, since=request.since) if request.key else None
        )
        if prior is None:
            return _insert(record, repo, cmd, payable, gateway_id, charged_with), True
    if not prior.made_for(cmd, gateway_id):
        raise reused_with_another_request()
    return resume(deps, IntentRepository, prior, what="Payment intent", id_field="paymentIntentId")


def _insert(
    record: UnitOfWork,
    repo: IntentRepository,
    cmd: CreateIntent,
    payable: intents.Payable,
    gateway_id: str,
    charged_with: ChargedWith,
) -> PaymentIntent:
    """The new intent and PaymentIntentCreated, committed; 409 naming the live intent that holds
    the order already (the database's unique index decides a race)."""
    existing = repo.live_holding(payable.order_id, payable.invoice_id)
    if existing is not None:
        raise intents.live_conflict(existing)
    now = datetime.now(UTC)
    intent, events = intents.create(
        intent_id=new_id("pi"),
        payable=payable,
        amount=cmd.amount,
        currency=cmd.currency,
        gateway_id=gateway_id,
        charged_with=charged_with,
        capture_method=cmd.capture_method,
        save_for_future=cmd.save_payment_method,
        return_url=cmd.return_url,
        client_id=cmd.request.client_id,
        idempotency_key=cmd.request.key,
        now=now,
    )
    try:
        repo.add(intent, calling_since=now)
        for e in events:
            record.emit(e)
        record.commit()
    except IntegrityError:  # another request's intent for this order committed first
        record.rollback()
        existing = repo.live_holding(payable.order_id, payable.invoice_id)
        if existing is None:
            raise Problem(409, "Another payment of this was being created; retry.") from None
        raise intents.live_conflict(existing) from None
    return intent


INTENTS = OwnedReads[PaymentIntent](IntentRepository, "payment intent")
get_intent = INTENTS.one
list_intents = INTENTS.page
