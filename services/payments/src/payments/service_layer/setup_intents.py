"""Saving a card without a charge (a setup intent): created and confirmed at the provider, outside
any transaction of ours, under a key of the client's request; recorded with its answer. A card its
bank does not challenge is saved at once; one it challenges is saved when the customer has passed
3D Secure on the provider's page, which payments learns by asking the provider when the setup
intent is read while it still waits (read-only, outside any transaction)."""

from __future__ import annotations

from datetime import UTC, datetime

from billing_shared.auth.scope import CustomerScope
from billing_shared.db.owned import OwnedReads
from billing_shared.db.uow import UnitOfWork
from billing_shared.errors import FieldError, Problem
from billing_shared.ids import new_id
from payments.bootstrap import Deps
from payments.domain import setup_intents
from payments.domain.commands import CreateSetupIntent
from payments.domain.payment_provider import SavedCard
from payments.domain.setup_intents import SetupIntent
from payments.service_layer.gateways import choose_gateway
from payments.service_layer.payment_methods import (
    await_customer,
    provider_answer,
    provider_customer_of,
    record_saved_card,
    request_provider_key,
)
from payments.service_layer.provider_calls import provider_for
from payments.store.payment_methods import PaymentMethodRepository
from payments.store.setup_intents import SetupIntentRepository

SETUPS = OwnedReads[SetupIntent](SetupIntentRepository, "setup intent")
list_setups = SETUPS.page


def create_setup(uow: UnitOfWork, deps: Deps, cmd: CreateSetupIntent) -> SetupIntent:
    if not cmd.scope.sees(cmd.customer_id) or not await_customer(deps, cmd.customer_id):
        raise Problem(
            422, f"No customer '{cmd.customer_id}'.", errors=[FieldError("customerId", "unknown customer")]
        )
    gateway_id = choose_gateway(deps, cmd.gateway_id, currency=None, capture_method="automatic")
    setup_id = new_id("seti")
    provider_customer = provider_answer(
        gateway_id, lambda: provider_customer_of(deps, cmd.customer_id, gateway_id), field="customerId"
    )
    answer = provider_answer(
        gateway_id,
        lambda: provider_for(deps, gateway_id).create_setup(
            customer_reference=provider_customer,
            token=cmd.payment_method_token,
            return_url=cmd.return_url,
            idempotency_key=request_provider_key(cmd.request, setup_id, "setup"),
        ),
        field="paymentMethodToken",
    )
    repo = SetupIntentRepository(uow.session)
    reference = answer.reference or setup_id  # a card refused outright may leave no provider object
    earlier = repo.by_provider_reference(gateway_id, reference)
    if earlier is not None:  # this request's earlier attempt recorded it (its answer was lost)
        return earlier
    setup = setup_intents.recorded(
        setup_id,
        customer_id=cmd.customer_id,
        gateway_id=gateway_id,
        set_default=cmd.set_default,
        return_url=cmd.return_url,
        answer=answer,
        now=datetime.now(UTC),
    )
    setup = _with_card(uow, setup, answer.card, provider_customer)
    repo.add(setup)
    return setup


def get_setup(deps: Deps, scope: CustomerScope, setup_id: str) -> SetupIntent:
    """The setup intent; one still waiting for the customer is brought up to the provider's state
    first (a card saved meanwhile becomes a payment method here, once)."""
    with deps.db.unit_of_work(write=False) as read:
        setup = SETUPS.one(read, scope, setup_id)
    if setup.final:
        return setup
    answer = provider_answer(
        setup.gateway_id,
        lambda: provider_for(deps, setup.gateway_id).retrieve_setup(setup.provider_reference),
        field="id",
    )
    with deps.db.unit_of_work() as uow:
        repo = SetupIntentRepository(uow.session)
        locked = repo.get(setup.id, for_update=True)
        assert locked is not None  # setup intents are never deleted
        after = setup_intents.answered(locked, answer, datetime.now(UTC))
        if after is locked:
            return locked
        provider_customer = PaymentMethodRepository(uow.session).provider_customer(
            after.customer_id, after.gateway_id
        )
        after = _with_card(uow, after, answer.card, provider_customer)
        repo.save(after, locked.version)
        uow.commit()
    return after


def _with_card(
    uow: UnitOfWork, setup: SetupIntent, card: object, provider_customer: str | None
) -> SetupIntent:
    """A succeeded setup's card recorded as the customer's payment method."""

    if (
        setup.status != setup_intents.SUCCEEDED
        or not isinstance(card, SavedCard)
        or provider_customer is None
    ):
        return setup
    method = record_saved_card(
        uow,
        customer_id=setup.customer_id,
        gateway_id=setup.gateway_id,
        provider_customer=provider_customer,
        card=card,
        set_default=setup.set_default,
    )
    return setup_intents.with_method(setup, method.id)
