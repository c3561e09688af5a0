"""Waiting for a projection: a service that knows another's resources through events.

A client may use an id right after the owning service's 201, before the event reached us. We look
again for a short, bounded time (ARCHITECTURE: at most ~2 s) before saying the id is unknown, so
the answer never depends on a race. Each look is its own read transaction: no lock is held while
waiting, so the worker can write the projection meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from billing_shared.db.uow import Database
from billing_shared.errors import FieldError, Problem
from billing_shared.ids import issued_within

RECENT_SECONDS = 300  # an id this young may be on its way to the projection

T = TypeVar("T")


def await_known(db: Database, lookup: Callable[..., T | None], wait_seconds: float) -> T | None:
    """`lookup(session)` until it finds something or `wait_seconds` pass; None when still unknown."""
    deadline = time.monotonic() + wait_seconds
    pause = 0.01
    while True:
        with db.unit_of_work(write=False) as uow:
            found = lookup(uow.session)
        if found is not None or time.monotonic() >= deadline:
            return found
        time.sleep(pause)
        pause = min(pause * 1.5, 0.1)


def unknown_reference(resource_id: str, field: str, kind: str, now: datetime) -> Problem:
    """What a request naming an id the projection has not seen gets, once it has waited: a 503
    with Retry-After when the platform could have issued the id minutes ago (its event is on its
    way: a retry succeeds), else a 422 naming the field."""
    if issued_within(resource_id, RECENT_SECONDS, now):
        return Problem(
            503,
            f"The {kind} '{resource_id}' is not known here yet; retry shortly.",
            headers={"Retry-After": "1"},
        )
    return Problem(422, f"No {kind} '{resource_id}'.", errors=[FieldError(field, f"unknown {kind}")])
