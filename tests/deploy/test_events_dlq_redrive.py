"""The DLQ re-drive on the real broker: an event a consumer could not apply (a bug) is parked by
the real inbox consumer; after the fix, `python -m billing_shared.dlq redrive` moves it back and
the consumer applies it, once; a second run moves nothing; the consumers that had applied it are
not changed by the copy. Topics and groups are this test's own: others share the broker."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka.admin import KafkaAdminClient
from sqlalchemy import Column, String, Table, insert, select

from billing_devtools.testing.samples import customer_event, kit_database, new_customer_id
from billing_shared import dlq
from billing_shared.db.uow import Database, UnitOfWork
from billing_shared.events import catalog
from billing_shared.events.envelope import Envelope, utc_now_iso
from billing_shared.inbox.consumer import EventConsumer
from billing_shared.kafka import clients
from billing_shared.kafka.topics import ensure_topics

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def topic(kafka_bootstrap: str) -> Iterator[str]:
    name = f"test.redrive.{uuid.uuid4().hex[:12]}"
    ensure_topics(kafka_bootstrap, 2, topics=[name, name + catalog.DLQ_SUFFIX], timeout=60)
    yield name
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, client_id="test-redrive-cleanup")
    try:
        admin.delete_topics([name, name + catalog.DLQ_SUFFIX])
    finally:
        admin.close()


def make_db(tmp_path: Path, name: str) -> tuple[Database, Table]:
    db = kit_database(f"sqlite:///{tmp_path / name}.db")
    applied = Table("applied", db.metadata, Column("event_id", String(64)))
    db.metadata.create_all(db.engine, tables=[applied])
    return db, applied


def publish(bootstrap: str, topic: str, key: str) -> str:
    env = Envelope(
        id=str(uuid.uuid4()),
        type=catalog.ce_type("CustomerCreated", 1),
        source="/customers",
        subject=key,
        time=utc_now_iso(),
        dataschema=catalog.dataschema("CustomerCreated", 1),
        key=key,
        data=customer_event(key).data,  # valid: an event that breaks its contract is parked at once
    )
    producer = clients.producer(bootstrap, "test-redrive-publisher")
    k, h, v = env.to_kafka()
    producer.send(topic, key=k, headers=h, value=v).get(timeout=10)
    producer.close()
    return env.id


def consumer_of(
    bootstrap: str, topic: str, group: str, db: Database, table: Table, broken: list[bool]
) -> EventConsumer:
    def handler(uow: UnitOfWork, e: Envelope) -> None:
        if broken[0]:
            raise RuntimeError("bug: cannot apply CustomerCreated")
        uow.session.execute(insert(table).values(event_id=e.id))

    return EventConsumer(
        db,
        clients.consumer(bootstrap, group, [topic], client_id=group),
        clients.producer(bootstrap, group + "-dlq"),
        name=group,
        handlers={"CustomerCreated": handler},
        backoff=0.01,
    )


def applied(db: Database, table: Table) -> list[str]:
    with db.engine.connect() as conn:
        return [r[0] for r in conn.execute(select(table.c.event_id))]


def poll_until(ec: EventConsumer, done: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:  # type: ignore[operator]
        ec.poll_once(timeout_ms=200)
    assert done(), "timed out"  # type: ignore[operator]


def redrive_cli(bootstrap: str, topic: str, consumer: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "billing_shared.dlq",
            "--bootstrap",
            bootstrap,
            "redrive",
            topic,
            "--consumer",
            consumer,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    )


def test_a_parked_event_is_applied_once_after_the_fix_and_redrive(
    kafka_bootstrap: str, topic: str, tmp_path: Path
) -> None:
    suffix = uuid.uuid4().hex[:8]
    failing_group, healthy_group = f"test-redrive-failing-{suffix}", f"test-redrive-healthy-{suffix}"
    db, table = make_db(tmp_path, "failing")
    other_db, other_table = make_db(tmp_path, "healthy")
    broken = [True]
    failing = consumer_of(kafka_bootstrap, topic, failing_group, db, table, broken)
    healthy = consumer_of(kafka_bootstrap, topic, healthy_group, other_db, other_table, [False])
    key = new_customer_id()
    event_id = publish(kafka_bootstrap, topic, key)

    # the bug: the failing consumer parks the event and moves on; the healthy one applies it
    poll_until(healthy, lambda: applied(other_db, other_table) == [event_id])
    poll_until(failing, lambda: [p.ce_id for p in dlq.list_parked(kafka_bootstrap, topic)] == [event_id])
    (entry,) = dlq.list_parked(kafka_bootstrap, topic)
    assert (entry.consumer, entry.key, entry.source_topic) == (failing_group, key, topic)
    assert "bug: cannot apply" in entry.error and applied(db, table) == []

    # the fix, then the re-drive: only the failing consumer's entries, and they land on the topic
    broken[0] = False
    out = redrive_cli(kafka_bootstrap, topic, failing_group)
    assert "1 record(s) moved" in out.stderr and event_id in out.stdout
    poll_until(failing, lambda: applied(db, table) == [event_id])

    # the copy changes nothing for the consumer that had applied it (same ce_id: its inbox skips it)
    for _ in range(10):
        healthy.poll_once(timeout_ms=200)
    assert applied(other_db, other_table) == [event_id]
    # a second run has nothing left to move; the entry stays listed in the DLQ for the record
    assert "0 record(s) moved" in redrive_cli(kafka_bootstrap, topic, failing_group).stderr
    assert [p.ce_id for p in dlq.list_parked(kafka_bootstrap, topic)] == [event_id]
    for ec in (failing, healthy):
        ec.consumer.close()
        ec.dlq.close(timeout=5)
    db.dispose()
    other_db.dispose()
