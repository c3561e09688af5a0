"""A refund's provider call, steps 2 and 3 of the protocol (`provider_calls`): made under the
refund's provider key, its answer applied once, and driven again by the worker when it was lost."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from billing_shared.db.uow import UnitOfWork
from payments.bootstrap import Deps
from payments.domain import refunds
from payments.domain.intents import PaymentIntent
from payments.domain.payment_provider import ProviderError, ProviderRefund
from payments.domain.refunds import Refund
from payments.service_layer.provider_calls import claim, guarded, provider_for, provider_key, release
from payments.store.intents import IntentRepository
from payments.store.refunds import RefundRepository


def call_refund(deps: Deps, refund: Refund, intent: PaymentIntent) -> ProviderRefund | ProviderError:
    """Step 2 for a refund whose call this process has claimed: CallPending when the provider did
    not answer (the claim released), its refusal returned to be recorded."""
    provider = provider_for(deps, intent.gateway_id)
    return guarded(
        refund.id,
        lambda: provider.refund(
            intent.gateway_reference or "",
            amount=refund.amount,
            reason=refund.reason,
            idempotency_key=provider_key(refund.id, "refund"),
        ),
        release=partial(release, deps, RefundRepository, refund.id),
    )


def apply_refund(uow: UnitOfWork, refund_id: str, answer: ProviderRefund | ProviderError) -> Refund:
    """Step 3, in the caller's transaction: only the first answer for the refund is applied; a
    succeeded one counts in its intent's refunded amount (PaymentRefunded)."""
    refund_repo, intent_repo = RefundRepository(uow.session), IntentRepository(uow.session)
    unlocked = refund_repo.get(refund_id)
    if unlocked is None:
        raise RuntimeError(f"refund {refund_id} vanished")
    # The intent's lock first, as every writer of an intent and its refunds takes them (webhooks
    # included): one order of locks, no deadlock.
    intent = intent_repo.get(unlocked.payment_intent_id, for_update=True)
    refund = refund_repo.get(refund_id, for_update=True)
    if intent is None or refund is None or not refund.provider_pending:
        return refund or unlocked
    now = datetime.now(UTC)
    if isinstance(answer, ProviderError):
        done, after, events = refunds.settle(
            refund, intent, status=refunds.FAILED, reference=None, message=str(answer), now=now
        )
    else:
        status = answer.status if answer.status in refunds.STATUSES else refunds.PENDING
        done, after, events = refunds.settle(
            refund, intent, status=status, reference=answer.reference, message=None, now=now
        )
    refund_repo.save(done, call_done=True)
    if after is not intent:
        intent_repo.save(after, intent.version)
    for e in events:
        uow.emit(e)
    return done


def drive_refund(deps: Deps, refund_id: str, *, idle: float) -> None:
    """The worker's drive of a refund call whose answer was lost: claimed (no call in flight and the
    last ended `idle` seconds ago, or the one in flight is stale), sent under the same key, applied."""
    if not claim(deps, RefundRepository, refund_id, idle=idle):
        return
    with deps.db.unit_of_work(write=False) as uow:
        refund = RefundRepository(uow.session).get(refund_id)
        intent = IntentRepository(uow.session).get(refund.payment_intent_id) if refund else None
    if refund is None or intent is None:
        return
    answer = call_refund(deps, refund, intent)
    with deps.db.unit_of_work() as uow:
        apply_refund(uow, refund_id, answer)
        uow.commit()
