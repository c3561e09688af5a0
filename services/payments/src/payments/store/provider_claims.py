"""The claim on a row's provider call (ADR 0003), the same for payment intents and refunds: it keeps
one call from being driven by two processes at once, and shows the worker which calls lost their
answer (`provider_pending` rows with no call in flight, or one in flight too long)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, or_, select, update
from sqlalchemy.orm import Session

from billing_shared.db.uow import affected

# The columns a claim writes; a repository's saves of its rows leave them alone.
CLAIM_COLUMNS = ("provider_call_at", "provider_attempts")


def _may_be_driven(table: Table, *, stale_before: datetime, idle_before: datetime) -> Any:
    """Still waiting for the provider's answer, and no live call in flight: none (and the last ended
    before `idle_before`), or the one in flight started before `stale_before` (its process died)."""
    return and_(
        table.c.provider_pending.is_(True),
        or_(
            and_(table.c.provider_call_at.is_(None), table.c.updated_at <= idle_before),
            table.c.provider_call_at < stale_before,
        ),
    )


def claim(
    session: Session,
    table: Table,
    row_id: str,
    *,
    now: datetime,
    stale_before: datetime,
    idle_before: datetime,
) -> bool:
    """Take the right to call the provider for a row still waiting for its answer. One conditional
    UPDATE, so only one caller wins."""
    res = session.execute(
        update(table)
        .where(
            table.c.id == row_id,
            _may_be_driven(table, stale_before=stale_before, idle_before=idle_before),
        )
        .values(provider_call_at=now, provider_attempts=table.c.provider_attempts + 1)
    )
    return affected(res) == 1


def release(session: Session, table: Table, row_id: str, now: datetime) -> None:
    """The call ended without an answer (the provider was unreachable): no call in flight now."""
    session.execute(
        update(table)
        .where(table.c.id == row_id, table.c.provider_pending.is_(True))
        .values(provider_call_at=None, updated_at=now)
    )


def waiting(
    session: Session, table: Table, *, stale_before: datetime, idle_before: datetime, limit: int
) -> list[str]:
    """Ids of the rows whose call may be driven again, oldest first."""
    rows = session.execute(
        select(table.c.id)
        .where(_may_be_driven(table, stale_before=stale_before, idle_before=idle_before))
        .order_by(table.c.id)
        .limit(limit)
    )
    return [r.id for r in rows]
