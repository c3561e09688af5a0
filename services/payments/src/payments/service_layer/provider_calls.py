"""The protocol around every provider call (ADR 0003), shared by the API's use cases and the worker's.

A provider call never runs inside a database transaction (it may take seconds, and a transaction
held that long would block every other writer of the row), and it must never charge twice:

1. *record*: the intent (or refund) row is committed first, its provider call *claimed*
   (`provider_call_at`); from then on the database knows money may move;
2. *call*: the provider is called with an idempotency key derived from our row's id, so any later
   call for the same row (a client's retry, the worker after a crash) is the same call to it;
3. *apply*: the answer is applied in a second transaction, conditional on the row still waiting
   for it, raising the events of the change.

A call whose answer was lost (provider unreachable, process killed) leaves the row waiting; the
worker drives it again later with the same key (`recovery.recover`). The provider answers a
repeated key with the first call's result, so the worst a crash can do is delay an answer.

This module holds what every call shares: the provider of a gateway, a row's provider key, the
claim on a row's call, and the guard that releases the claim when the provider did not answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from payments.bootstrap import Deps
from payments.config import PaymentsSettings
from payments.domain.gateways import not_configured
from payments.domain.payment_provider import PaymentProvider, ProviderError
from payments.store.intents import IntentRepository
from payments.store.refunds import RefundRepository

log = logging.getLogger(__name__)

T = TypeVar("T")


class CallPending(Exception):
    """The provider could not be reached; the row waits and the worker will drive it again."""

    def __init__(self, row_id: str, message: str) -> None:
        super().__init__(message)
        self.row_id = row_id


def provider_key(row_id: str, action: str) -> str:
    """The provider idempotency key of one action on one of our rows: the same forever."""
    return f"{row_id}:{action}"


def provider_for(deps: Deps, gateway_id: str) -> PaymentProvider:
    """The gateway's adapter, or a 503 when it is not configured in this process."""
    found = deps.providers.get(gateway_id)
    if found is None:
        raise not_configured(gateway_id)
    return found


def claim_windows(settings: PaymentsSettings, now: datetime, *, idle: float) -> dict[str, datetime]:
    """When a row's call may be claimed: none in flight and the last ended `idle` seconds ago, or
    the one in flight started `stale_call_seconds` ago (its process died)."""
    return {
        "now": now,
        "stale_before": now - timedelta(seconds=settings.stale_call_seconds),
        "idle_before": now - timedelta(seconds=idle),
    }


def claim_intent(deps: Deps, intent_id: str, *, idle: float = 0.0) -> bool:
    """Take the right to call the provider for the intent (committed at once); False when another
    process holds it, or the intent has its answer."""
    with deps.db.unit_of_work() as uow:
        ok = IntentRepository(uow.session).claim_call(
            intent_id, **claim_windows(deps.settings, datetime.now(UTC), idle=idle)
        )
        uow.commit()
    return ok


def claim_refund(deps: Deps, refund_id: str, *, idle: float = 0.0) -> bool:
    with deps.db.unit_of_work() as uow:
        ok = RefundRepository(uow.session).claim_call(
            refund_id, **claim_windows(deps.settings, datetime.now(UTC), idle=idle)
        )
        uow.commit()
    return ok


def release_intent_call(deps: Deps, intent_id: str) -> None:
    with deps.db.unit_of_work() as uow:
        IntentRepository(uow.session).release_call(intent_id, datetime.now(UTC))
        uow.commit()


def release_refund_call(deps: Deps, refund_id: str) -> None:
    with deps.db.unit_of_work() as uow:
        RefundRepository(uow.session).release_call(refund_id, datetime.now(UTC))
        uow.commit()


def guarded(row_id: str, call: Callable[[], T], release: Callable[[], None]) -> T | ProviderError:
    """Make the call; a retryable failure releases the claim (`release`) and raises CallPending, a
    refusal is returned for the caller to record."""
    try:
        return call()
    except ProviderError as exc:
        if not exc.retryable:
            return exc
        release()
        raise CallPending(row_id, str(exc)) from exc
    except Exception as exc:
        log.exception("provider call failed unexpectedly", extra={"row": row_id})
        release()
        raise CallPending(row_id, "The gateway call failed unexpectedly.") from exc
