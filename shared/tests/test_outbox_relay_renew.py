"""The relay replaces a producer Kafka failed. Found by `make chaos`: after the broker was away
60 s, kafka-python's idempotent producer held expired batches and every later flush timed out, so
the invoicing and payments relays never published again (until a restart)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from kafka.errors import KafkaTimeoutError
from sqlalchemy import func, select

from billing_devtools.testing.samples import commit_events, customer_event, kit_database, new_customer_id
from billing_shared.db.uow import Database
from billing_shared.outbox.relay import OutboxRelay

pytestmark = pytest.mark.integration


@pytest.fixture()
def db(pg_database: str) -> Iterator[Database]:
    database = kit_database(pg_database)
    yield database
    database.dispose()


class _Future:
    def __init__(self, ok: bool) -> None:
        self.ok = ok

    def get(self, timeout: float) -> None:
        if not self.ok:
            raise KafkaTimeoutError("Expiring 1 record(s): 30002 ms has passed since batch creation")


class _Producer:
    """A stuck producer (every send expires) or a healthy one."""

    def __init__(self, healthy: bool) -> None:
        self.healthy, self.sent, self.closed = healthy, [], False  # type: bool, list[Any], bool

    def send(self, topic: str, **kw: Any) -> _Future:
        self.sent.append(kw["key"])
        return _Future(self.healthy)

    def flush(self, timeout: float) -> None:
        pass

    def close(self, timeout: float) -> None:
        self.closed = True


def _unsent(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).where(db.kit_tables.outbox.c.sent_at.is_(None))).scalar_one()
        )


def test_a_failed_pass_gets_a_new_producer_and_the_next_pass_publishes(db: Database) -> None:
    commit_events(db, [customer_event(new_customer_id()) for _ in range(3)])
    stuck, fresh = _Producer(healthy=False), _Producer(healthy=True)
    relay = OutboxRelay(db, stuck, new_producer=lambda: fresh)  # type: ignore[arg-type]
    assert relay.publish_pending() == 0 and _unsent(db) == 3
    assert stuck.closed and relay.producer is fresh
    assert relay.publish_pending() == 3 and _unsent(db) == 0
    assert len(fresh.sent) == 3
