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
from typing import Protocol, TypeVar

from billing_shared.errors import Problem
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


def unanswered(gateway_id: str, kind: str, row_id: str, id_key: str) -> Problem:
    """The 503 of a request whose provider call got no answer: the row is kept (the worker drives
    the call until the provider answers), so the client retries with the same Idempotency-Key or
    polls the resource, whose id the problem names under `id_key`."""
    return Problem(
        503,
        f"Gateway '{gateway_id}' did not answer; {kind} '{row_id}' is kept and completed as soon as it "
        f"does. Retry with the same Idempotency-Key, or poll the {kind}.",
        headers={"Retry-After": "5"},
        extra={id_key: row_id},
    )


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


# The two kinds of rows whose provider call is claimed: intents and refunds.
CallRows = type[IntentRepository] | type[RefundRepository]


def claim(deps: Deps, rows: CallRows, row_id: str, *, idle: float = 0.0) -> bool:
    """Take the right to call the provider for the row (committed at once); False when another
    process holds it, or the row has its answer."""
    with deps.db.unit_of_work() as uow:
        ok = rows(uow.session).claim_call(
            row_id, **claim_windows(deps.settings, datetime.now(UTC), idle=idle)
        )
        uow.commit()
    return ok


def release(deps: Deps, rows: CallRows, row_id: str) -> None:
    """Give the claim back: the provider did not answer, the worker drives the call later."""
    with deps.db.unit_of_work() as uow:
        rows(uow.session).release_call(row_id, datetime.now(UTC))
        uow.commit()


class Pending(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def provider_pending(self) -> bool: ...


P = TypeVar("P", bound=Pending)


def resume(deps: Deps, rows: CallRows, prior: P, *, what: str, id_field: str) -> tuple[P, bool]:
    """A request repeated with its Idempotency-Key finds the row it made: (the row, whether this
    request drives its provider call now). The row's answer when it has one; a 409 while another
    process holds the call."""
    if not prior.provider_pending:
        return prior, False
    if not claim(deps, rows, prior.id):
        raise Problem(
            409,
            f"{what} '{prior.id}' is still waiting for the gateway; retry shortly.",
            headers={"Retry-After": "1"},
            extra={id_field: prior.id},
        )
    return prior, True


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
