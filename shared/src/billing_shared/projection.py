"""Waiting for a projection: a service that knows another's resources through events.

A client may use an id right after the owning service's 201, before the event reached us. We look
again for a short, bounded time (ARCHITECTURE: at most ~2 s) before saying the id is unknown, so
the answer never depends on a race. Each look is its own read transaction: no lock is held while
waiting, so the worker can write the projection meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from billing_shared.db.uow import Database

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
