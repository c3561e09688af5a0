"""Reading and writing outbox rows. Rows are appended inside the caller's transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select, update
from sqlalchemy.orm import Session

from billing_shared import correlation
from billing_shared.events import catalog, contracts
from billing_shared.events.domain import DomainEvent
from billing_shared.events.envelope import Envelope, utc_now_iso

NOTIFY_CHANNEL = "billing_outbox"


def _row(source: str, event: DomainEvent) -> tuple[Envelope, dict[str, Any]]:
    contracts.check(event.name, event.version, event.data)
    env = Envelope(
        id=str(uuid.uuid4()),
        type=catalog.ce_type(event.name, event.version),
        source=source,
        subject=event.aggregate_id,
        time=utc_now_iso(),
        dataschema=catalog.dataschema(event.name, event.version),
        key=event.aggregate_id,
        data=event.data,
        correlation_id=correlation.current(),
    )
    row = {
        "event_id": env.id,
        "topic": catalog.topic_of(event.name),
        "key": env.key,
        "type": env.type,
        "source": env.source,
        "subject": env.subject,
        "time": env.time,
        "dataschema": env.dataschema,
        "data": json.dumps(env.data, separators=(",", ":"), sort_keys=True),
        "correlation_id": env.correlation_id,
        "created_at": datetime.now(UTC),
    }
    return env, row


def append(session: Session, outbox: Table, source: str, event: DomainEvent) -> Envelope:
    """Check the event against its contract and add it to the outbox in the session's transaction."""
    env, row = _row(source, event)
    session.execute(insert(outbox).values(**row))
    return env


def append_many(
    session: Session, outbox: Table, source: str, events: Sequence[DomainEvent]
) -> list[Envelope]:
    """`append` for a batch, in one multi-row insert (the recurring biller writes thousands)."""
    built = [_row(source, e) for e in events]
    if built:
        session.execute(insert(outbox), [row for _, row in built])
    return [env for env, _ in built]


def backlog(conn: Connection, outbox: Table) -> tuple[int, float]:
    """(unsent rows, age in seconds of the oldest one): what the outbox alerts watch."""
    count, oldest = conn.execute(
        select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.sent_at.is_(None))
    ).one()
    if not count or oldest is None:
        return 0, 0.0
    oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
    return int(count), max(0.0, (datetime.now(UTC) - oldest).total_seconds())


def unsent(conn: Connection, outbox: Table, limit: int) -> list[tuple[int, str, Envelope]]:
    """The oldest unsent rows in commit order: (row id, topic, envelope)."""
    rows = conn.execute(
        select(outbox).where(outbox.c.sent_at.is_(None)).order_by(outbox.c.id).limit(limit)
    ).all()
    return [
        (
            r.id,
            r.topic,
            Envelope(
                id=r.event_id,
                type=r.type,
                source=r.source,
                subject=r.subject,
                time=r.time,
                dataschema=r.dataschema,
                key=r.key,
                data=json.loads(r.data),
                correlation_id=r.correlation_id,
            ),
        )
        for r in rows
    ]


def mark_sent(conn: Connection, outbox: Table, ids: Sequence[int]) -> None:
    if ids:
        conn.execute(update(outbox).where(outbox.c.id.in_(ids)).values(sent_at=datetime.now(UTC)))
