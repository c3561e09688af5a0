"""The inbox consumer rides out outages instead of blaming the event: a database that is down or
restarting is retried until it answers (never the DLQ), a stop during the wait leaves the record
uncommitted, and a broker error does not end the loop. Found by the fault suite (tests/faults/):
a PostgreSQL restart dead-lettered a PaymentSucceeded after three quick failures, and that
invoice was never paid."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from kafka.errors import KafkaConnectionError
from sqlalchemy import Column, String, Table, insert, select
from sqlalchemy.exc import OperationalError

from billing_devtools.testing.samples import customer_record, kit_database, new_customer_id
from billing_shared.db.uow import Database, UnitOfWork
from billing_shared.events.envelope import Envelope
from billing_shared.inbox.consumer import EventConsumer

pytestmark = pytest.mark.integration


@pytest.fixture()
def db(pg_database: str) -> Iterator[Database]:
    database = kit_database(pg_database)
    yield database
    database.dispose()


class _Kafka:
    def __init__(self, batches: list[Any]) -> None:
        self.batches, self.committed = batches, {}  # type: list[Any], dict[Any, Any]

    def poll(self, timeout_ms: int) -> dict[Any, list[Any]]:
        item = self.batches.pop(0) if self.batches else []
        if isinstance(item, Exception):
            raise item
        return {"tp0": item} if item else {}

    def commit(self, offsets: dict[Any, Any]) -> None:
        self.committed.update(offsets)


def _down() -> OperationalError:
    return OperationalError("SELECT 1", {}, Exception("the database system is shutting down"))


def test_a_database_outage_is_waited_out_and_never_dead_letters(db: Database) -> None:
    effects = Table("outage_effects", db.metadata, Column("key", String(64)))
    db.metadata.create_all(db.engine, tables=[effects])
    failures = {"left": 6}  # more than the 3 attempts a poison event gets

    def handler(uow: UnitOfWork, e: Envelope) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise _down()
        uow.session.execute(insert(effects).values(key=e.key))

    parked: list[Any] = []
    dlq = SimpleNamespace(
        send=lambda *a, **kw: parked.append(kw) or SimpleNamespace(get=lambda timeout: None)
    )
    key = new_customer_id()
    kafka = _Kafka([[customer_record(7, key)]])
    ec = EventConsumer(db, kafka, dlq, name="outage", handlers={"CustomerCreated": handler}, backoff=0.001)  # type: ignore[arg-type]
    assert ec.poll_once() == 1
    with db.engine.connect() as conn:
        assert list(conn.execute(select(effects.c.key)).scalars()) == [key]
    assert parked == [] and kafka.committed["tp0"].offset == 8


def test_a_stop_during_an_outage_commits_nothing_and_a_broker_error_does_not_end_the_loop(
    db: Database,
) -> None:
    def handler(uow: UnitOfWork, e: Envelope) -> None:
        raise _down()

    stop = threading.Event()
    dlq = SimpleNamespace(send=lambda *a, **kw: pytest.fail("an outage is not the event's fault"))
    kafka = _Kafka([KafkaConnectionError("broker gone"), [customer_record(3, new_customer_id())]])
    ec = EventConsumer(db, kafka, dlq, name="outage", handlers={"CustomerCreated": handler}, backoff=0.001)  # type: ignore[arg-type]
    threading.Timer(1.0, stop.set).start()
    ec.run(stop)  # returns once stopped: the broker error was waited out, the record never committed
    assert kafka.batches == [] and kafka.committed == {}
