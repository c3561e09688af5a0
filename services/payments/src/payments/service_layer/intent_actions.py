"""Capturing and cancelling an intent: the provider call first (no transaction open), then its answer
applied in the request's transaction. Two concurrent requests send the same provider key, so the
provider acts once and both get its answer."""

from __future__ import annotations

from datetime import UTC, datetime

from billing_shared.commands import OnResource
from billing_shared.db.uow import UnitOfWork
from billing_shared.errors import Problem
from payments.bootstrap import Deps
from payments.domain import intents
from payments.domain.intent_states import CANCELED, SUCCEEDED
from payments.domain.intents import PaymentIntent
from payments.domain.payment_provider import ProviderError
from payments.service_layer.provider_calls import provider_for, provider_key
from payments.store.intents import IntentRepository


def capture_intent(uow: UnitOfWork, deps: Deps, cmd: OnResource) -> PaymentIntent:
    """Capture an intent created with `captureMethod: manual`; the merchant's decision only.
    Capturing a captured intent changes nothing."""
    cmd.scope.require_merchant("capture a payment")
    intent = _load(deps, cmd)
    if intent.status == SUCCEEDED:
        return intent
    intents.check_capturable(intent)
    return _act(uow, deps, intent, "capture")


def cancel_intent(uow: UnitOfWork, deps: Deps, cmd: OnResource) -> PaymentIntent:
    """Cancel an intent that has taken no money yet; its order may then be paid by a new one.
    Cancelling a canceled intent changes nothing."""
    intent = _load(deps, cmd)
    if intent.status == CANCELED:
        return intent
    intents.check_cancelable(intent)
    return _act(uow, deps, intent, "cancel")


def _load(deps: Deps, cmd: OnResource) -> PaymentIntent:
    """The intent as the caller may see it (404 otherwise), read in a transaction of its own so
    that the request's stays closed until the provider has answered; 412 when `If-Match` is stale."""
    with deps.db.unit_of_work(write=False) as read:
        intent = cmd.visible(IntentRepository(read.session).get(cmd.id), "payment intent")
    cmd.check_version(intent.version)
    return intent


def _act(uow: UnitOfWork, deps: Deps, intent: PaymentIntent, action: str) -> PaymentIntent:
    provider = provider_for(deps, intent.gateway_id)
    call = provider.capture if action == "capture" else provider.cancel
    try:
        answer = call(intent.gateway_reference or "", idempotency_key=provider_key(intent.id, action))
    except ProviderError as exc:
        if exc.retryable:
            raise Problem(
                503, f"Gateway '{intent.gateway_id}' is unavailable: {exc}", headers={"Retry-After": "5"}
            ) from exc
        raise Problem(409, f"Gateway '{intent.gateway_id}' refused to {action} the payment: {exc}") from exc
    repo = IntentRepository(uow.session)
    locked = repo.get(intent.id, for_update=True)
    if locked is None:
        raise RuntimeError(f"payment intent {intent.id} vanished")
    after, events = intents.apply_answer(locked, answer, datetime.now(UTC))
    if after is not locked:
        repo.save(after, locked.version)
        for e in events:
            uow.emit(e)
    return after
