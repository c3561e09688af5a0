"""The outbox relay against the real PostgreSQL and Kafka: order, CloudEvents headers, and crashes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Column, String, Table, func, insert, select

from billing_devtools.testing.samples import (
    TopicTail,
    commit_events,
    customer_event,
    kit_database,
    new_customer_id,
)
from billing_shared.db.uow import Database, UnitOfWork
from billing_shared.events.catalog import TOPIC_CUSTOMERS
from billing_shared.events.envelope import Envelope
from billing_shared.inbox.consumer import EventConsumer
from billing_shared.kafka.clients import producer
from billing_shared.outbox import relay

pytestmark = pytest.mark.integration


@pytest.fixture()
def db(pg_database: str) -> Iterator[Database]:
    database = kit_database(pg_database)
    yield database
    database.dispose()


def unsent(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).where(db.kit_tables.outbox.c.sent_at.is_(None))).scalar_one()
        )


def run_relay_thread(db: Database, bootstrap: str) -> tuple[threading.Event, threading.Thread]:
    stop = threading.Event()
    t = threading.Thread(target=relay.run_forever, args=(db, bootstrap, stop), daemon=True)
    t.start()
    return stop, t


def test_committed_events_reach_kafka_in_order_per_aggregate(db: Database, kafka_bootstrap: str) -> None:
    tail = TopicTail(kafka_bootstrap, TOPIC_CUSTOMERS)
    stop, t = run_relay_thread(db, kafka_bootstrap)
    try:
        a, b = new_customer_id(), new_customer_id()
        for v in range(1, 11):
            commit_events(
                db, [customer_event(a, v, "CustomerUpdated"), customer_event(b, v, "CustomerUpdated")]
            )
        records = tail.collect({a, b}, 20)
    finally:
        stop.set()
        t.join(10)
        tail.close()
    assert len(records) == 20
    for key in (a, b):
        versions = [
            Envelope.from_kafka(r.key, r.headers, r.value).data["version"]
            for r in records
            if r.key == key.encode()
        ]
        assert versions == list(range(1, 11)), f"events of {key} out of order: {versions}"
        assert len({r.partition for r in records if r.key == key.encode()}) == 1
    assert unsent(db) == 0


def test_a_rolled_back_change_publishes_nothing(db: Database, kafka_bootstrap: str) -> None:
    with db.unit_of_work() as uow:
        uow.emit(customer_event(new_customer_id()))
        uow.rollback()
    assert unsent(db) == 0


def test_relay_wakes_on_commit_without_a_poll_delay(db: Database, kafka_bootstrap: str) -> None:
    tail = TopicTail(kafka_bootstrap, TOPIC_CUSTOMERS)
    stop, t = run_relay_thread(db, kafka_bootstrap)
    lags = []
    try:
        time.sleep(1.5)  # the relay is idle and waiting
        for _ in range(20):
            cid = new_customer_id()
            t0 = time.monotonic()
            commit_events(db, [customer_event(cid)])
            assert tail.collect({cid}, 1, timeout=5), "event not published"
            lags.append(time.monotonic() - t0)
    finally:
        stop.set()
        t.join(10)
        tail.close()
    lags.sort()
    # The idle wait is one second: a median far below it shows the commit itself woke the relay.
    assert lags[len(lags) // 2] < 0.25, f"median commit→consume {lags[len(lags) // 2] * 1000:.0f} ms"


@pytest.mark.parametrize("fault", ["relay.before_publish", "relay.after_publish"])
def test_relay_killed_mid_publish_loses_nothing_and_consumer_applies_once(
    db: Database, kafka_bootstrap: str, fault: str
) -> None:
    cid = new_customer_id()
    tail = TopicTail(kafka_bootstrap, TOPIC_CUSTOMERS)
    commit_events(db, [customer_event(cid)])
    env = os.environ | {"BILLING_FAULTS": fault, "KAFKA_BOOTSTRAP": kafka_bootstrap}
    crashed = subprocess.run(
        [sys.executable, "-m", "billing_shared.outbox.relay", db.url, db.service],
        env=env,
        timeout=60,
        capture_output=True,
    )
    assert crashed.returncode == -9, crashed.stderr.decode()[-500:]
    assert unsent(db) == 1, "the crash happened before the row was marked sent"

    stop, t = run_relay_thread(db, kafka_bootstrap)  # the restart
    try:
        expected = 2 if fault == "relay.after_publish" else 1
        records = tail.collect({cid}, expected, timeout=10)
        assert len(records) == expected
        deadline = time.monotonic() + 5
        while unsent(db) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert unsent(db) == 0
    finally:
        stop.set()
        t.join(10)
        tail.close()
    ids = {Envelope.from_kafka(r.key, r.headers, r.value).id for r in records}
    assert len(ids) == 1, "a re-publish carries the same event id"

    # A consumer that sees the event twice applies it once.
    effects = Table("effects", db.metadata, Column("event_id", String(64)))
    db.metadata.create_all(db.engine, tables=[effects])

    def handler(uow: UnitOfWork, e: Envelope) -> None:
        uow.session.execute(insert(effects).values(event_id=e.id))

    dlq = producer(kafka_bootstrap, "test-dlq")
    consumer = EventConsumer(db, None, dlq, name="test", handlers={"CustomerCreated": handler})  # type: ignore[arg-type]
    for r in records + records:
        consumer.handle_record(r)
    dlq.close()
    with db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(effects)).scalar_one() == 1


def test_only_one_relay_is_active_per_database(db: Database, kafka_bootstrap: str) -> None:
    first, second = relay.make_waker(db), relay.make_waker(db)
    try:
        assert first.acquire_leadership()
        assert not second.acquire_leadership()
    finally:
        first.close()
    assert second.acquire_leadership(), "the standby takes over when the leader goes"
    second.close()


def test_sqlite_relay_publishes_too(tmp_path: object, kafka_bootstrap: str) -> None:
    db = kit_database(f"sqlite:///{tmp_path}/kit.db")
    tail = TopicTail(kafka_bootstrap, TOPIC_CUSTOMERS)
    stop, t = run_relay_thread(db, kafka_bootstrap)
    try:
        cid = new_customer_id()
        commit_events(db, [customer_event(cid)])
        assert len(tail.collect({cid}, 1)) == 1
    finally:
        stop.set()
        t.join(10)
        tail.close()


def test_the_backlog_counts_what_waits_and_empties_once_published(db: Database, kafka_bootstrap: str) -> None:
    from billing_shared.outbox import store

    commit_events(db, [customer_event(new_customer_id()) for _ in range(3)])
    time.sleep(0.05)
    with db.engine.connect() as conn:
        count, age = store.backlog(conn, db.kit_tables.outbox)
    assert count == 3 and age > 0, "three events wait, the oldest for a measurable time"
    stop = threading.Event()
    t = threading.Thread(target=relay.run_forever, args=(db, kafka_bootstrap, stop), daemon=True)
    t.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with db.engine.connect() as conn:
                if store.backlog(conn, db.kit_tables.outbox) == (0, 0.0):
                    break
            time.sleep(0.1)
        with db.engine.connect() as conn:
            assert store.backlog(conn, db.kit_tables.outbox) == (0, 0.0), "published: nothing waits"
    finally:
        stop.set()
        t.join(10)
