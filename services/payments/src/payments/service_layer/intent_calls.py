"""An intent's create call, steps 2 and 3 of the protocol (`provider_calls`): made under the row's
provider key, its answer applied once, and driven again when the answer was lost. Shared by the
API's `create_intent`, the worker's off-session charges (`renewals`) and its sweep (`recovery`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import partial

from billing_shared.db.uow import UnitOfWork
from payments.bootstrap import Deps
from payments.domain import intents
from payments.domain.intents import PaymentIntent
from payments.domain.payment_provider import IntentRequest, ProviderError, ProviderIntent
from payments.service_layer import webhooks
from payments.service_layer.payment_methods import provider_customer_of
from payments.service_layer.provider_calls import claim, guarded, provider_for, provider_key, release
from payments.store.intents import IntentRepository

log = logging.getLogger(__name__)


def call_create(deps: Deps, intent: PaymentIntent) -> ProviderIntent | ProviderError:
    """Step 2 for an intent whose call this process has claimed: CallPending when the provider did
    not answer (the claim released), its refusal returned to be recorded."""
    provider = provider_for(deps, intent.gateway_id)

    def create() -> ProviderIntent:
        customer = intent.provider_customer
        if customer is None and intent.off_session:
            # a provider charges a method again only with the customer it is kept for
            customer = provider_customer_of(deps, intent.customer_id, intent.gateway_id)
        return provider.create_intent(
            IntentRequest(
                amount=intent.amount,
                currency=intent.currency,
                payment_method_token=intent.payment_method_token,
                idempotency_key=provider_key(intent.id, "create"),
                metadata=intent.provider_metadata(),
                return_url=intent.return_url,
                capture_method=intent.capture_method,
                off_session=intent.off_session,
                customer_reference=customer,
                saved_method=intent.payment_method_id is not None,
                save_for_future=intent.save_for_future,
            )
        )

    return guarded(intent.id, create, release=partial(release, deps, IntentRepository, intent.id))


def apply_create(uow: UnitOfWork, intent_id: str, answer: ProviderIntent | ProviderError) -> PaymentIntent:
    """Step 3, in the caller's transaction: only the first answer for the row is applied."""
    repo = IntentRepository(uow.session)
    intent = repo.get(intent_id, for_update=True)
    if intent is None:
        raise RuntimeError(f"payment intent {intent_id} vanished")
    if not intent.provider_pending:
        return intent  # another process applied the same answer first
    now = datetime.now(UTC)
    if isinstance(answer, ProviderError):
        after, events = intents.refused(intent, code=answer.code, message=str(answer), now=now)
    else:
        after, events = intents.apply_answer(intent, answer, now)
    repo.save(after, intent.version, call_done=True)
    for e in events:
        uow.emit(e)
    if after.gateway_reference:
        after = webhooks.apply_early_webhooks(uow, after)
    return after


def drive_intent(deps: Deps, intent_id: str, *, idle: float) -> None:
    """Claim (if no call is in flight and the last ended `idle` seconds ago, or the one in flight
    is stale), call under the row's provider key, apply; then refresh a non-final answer, because a
    provider replays a repeated key's *first* answer, not today's state."""
    if not claim(deps, IntentRepository, intent_id, idle=idle):
        return
    with deps.db.unit_of_work(write=False) as uow:
        intent = IntentRepository(uow.session).get(intent_id)
    if intent is None:
        return
    answer = call_create(deps, intent)
    with deps.db.unit_of_work() as uow:
        after = apply_create(uow, intent_id, answer)
        uow.commit()
    if after.gateway_reference and after.status not in intents.TERMINAL:
        try:
            after = refresh(deps, after)
        except ProviderError as exc:
            log.warning(
                "could not refresh a recovered intent",
                extra={"payment_intent": intent_id, "error": str(exc)},
            )
    log.info("payment intent driven", extra={"payment_intent": intent_id, "status": after.status})


def refresh(deps: Deps, intent: PaymentIntent) -> PaymentIntent:
    """Bring a non-final intent up to the provider's current state (retrieve is read-only)."""
    provider = provider_for(deps, intent.gateway_id)
    current = provider.retrieve(intent.gateway_reference or "")
    with deps.db.unit_of_work() as uow:
        repo = IntentRepository(uow.session)
        locked = repo.get(intent.id, for_update=True)
        if locked is None:
            return intent
        after, events = intents.apply_answer(locked, current, datetime.now(UTC))
        if after is not locked:
            repo.save(after, locked.version)
            for e in events:
                uow.emit(e)
        uow.commit()
    return after
