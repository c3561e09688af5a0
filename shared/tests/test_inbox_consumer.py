"""The inbox consumer against the real PostgreSQL and Kafka: dedup, dead letters, offsets."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Column, String, Table, func, insert, select

from billing_devtools.testing.samples import (
    TopicTail,
    customer_event,
    customer_record,
    kit_database,
    new_customer_id,
)
from billing_shared.concurrency import ConcurrentChange
from billing_shared.db.uow import Database, UnitOfWork
from billing_shared.events import catalog
from billing_shared.events.envelope import Envelope, utc_now_iso
from billing_shared.inbox.consumer import EventConsumer
from billing_shared.kafka import clients

pytestmark = pytest.mark.integration
TOPIC = catalog.TOPIC_CUSTOMERS
EVENT = "CustomerCreated"


def customer(key: str, name: str = "Ann") -> dict[str, object]:
    """Valid CustomerCreated data (the inbox parks an event that breaks its contract at once);
    the tests' handlers fail on the name "poison"."""
    return customer_event(key).data | {"name": name}


@pytest.fixture()
def db(pg_database: str) -> Iterator[Database]:
    database = kit_database(pg_database)
    yield database
    database.dispose()


def publish(bootstrap: str, key: str, data: dict[str, object], raw: bytes | None = None) -> str:
    env = Envelope(
        id=str(uuid.uuid4()),
        type=catalog.ce_type(EVENT, 1),
        source="/customers",
        subject=key,
        time=utc_now_iso(),
        dataschema=catalog.dataschema(EVENT, 1),
        key=key,
        data=data,
    )
    p = clients.producer(bootstrap, "test-publisher")
    k, h, v = env.to_kafka()
    p.send(TOPIC, key=k, headers=h, value=raw if raw is not None else v).get(timeout=10)
    p.close()
    return env.id


def test_poison_event_goes_to_the_dlq_and_the_consumer_moves_on(db: Database, kafka_bootstrap: str) -> None:
    effects = Table("effects", db.metadata, Column("key", String(64)))
    db.metadata.create_all(db.engine, tables=[effects])

    def handler(uow: UnitOfWork, e: Envelope) -> None:
        if e.data["name"] == "poison":
            raise ValueError("cannot apply this order")
        uow.session.execute(insert(effects).values(key=e.key))

    group = f"test-{uuid.uuid4().hex[:8]}"
    dlq_tail = TopicTail(kafka_bootstrap, TOPIC + catalog.DLQ_SUFFIX)
    bad_key, good_key, junk_key = (new_customer_id() for _ in range(3))
    bad_id = publish(kafka_bootstrap, bad_key, customer(bad_key, "poison"))
    publish(kafka_bootstrap, junk_key, {}, raw=b"\xff not json")
    publish(kafka_bootstrap, good_key, customer(good_key))

    consumer = clients.consumer(kafka_bootstrap, group, [TOPIC], client_id=group)
    dlq = clients.producer(kafka_bootstrap, "test-dlq")
    ec = EventConsumer(db, consumer, dlq, name=group, handlers={EVENT: handler}, backoff=0.01)
    # A fresh group starts at the topic's beginning, and the three keys sit in different partitions:
    # poll until all three are handled, not only the good one (the bad one may still be behind a
    # partition's history of other tests' events).
    parked: list[Any] = []
    good_applied = 0
    deadline = time.monotonic() + 90
    while (not good_applied or len(parked) < 2) and time.monotonic() < deadline:
        ec.poll_once(timeout_ms=300)
        # only this consumer's entries: another running worker group may dead-letter the same junk
        parked += [
            r
            for r in dlq_tail.collect({bad_key, junk_key}, 2 - len(parked), timeout=0.05)
            if dict(r.headers).get("dlq_consumer") == group.encode()
        ]
        with db.engine.connect() as conn:
            good_applied = conn.execute(
                select(func.count()).select_from(effects).where(effects.c.key == good_key)
            ).scalar_one()
    consumer.close()
    dlq.close()
    dlq_tail.close()
    assert good_applied == 1
    errors = {r.key.decode(): dict(r.headers)["dlq_error"].decode() for r in parked}
    assert "cannot apply this order" in errors[bad_key]
    assert "undecodable" in errors[junk_key]
    assert dict(next(r for r in parked if r.key.decode() == bad_key).headers)["ce_id"].decode() == bad_id

    # Offsets were committed past everything handled: the group's next consumer starts after them.
    again = clients.consumer(kafka_bootstrap, group, [TOPIC], client_id=group + "-2")
    replayed = []
    for _ in range(10):
        for records in again.poll(timeout_ms=300).values():
            replayed += [r for r in records if r.key and r.key.decode() in (bad_key, good_key, junk_key)]
    again.close()
    assert replayed == []


class _Records:
    """Kafka's side of one poll, handed to the consumer as the broker would (the code under test
    is EventConsumer's batch path, not Kafka)."""

    def __init__(self, batch: list[Any]) -> None:
        self.batch, self.committed = batch, {}  # type: dict[Any, Any]

    def poll(self, timeout_ms: int) -> dict[Any, list[Any]]:
        batch, self.batch = self.batch, []
        return {"tp0": batch} if batch else {}

    def commit(self, offsets: dict[Any, Any]) -> None:
        self.committed.update(offsets)


def parking() -> tuple[list[Any], Any]:
    """A DLQ producer that keeps what it is sent."""
    parked: list[Any] = []
    return parked, SimpleNamespace(
        send=lambda *a, **kw: parked.append(kw) or SimpleNamespace(get=lambda timeout: None)
    )


def test_a_batch_applies_each_event_once_and_a_failing_one_alone_is_parked(db: Database) -> None:

    effects = Table("batch_effects", db.metadata, Column("key", String(64)))
    db.metadata.create_all(db.engine, tables=[effects])

    def handler(uow: UnitOfWork, e: Envelope) -> None:
        if e.data["name"] == "poison":
            raise ValueError("cannot apply this order")
        uow.session.execute(insert(effects).values(key=e.key))

    keys = [new_customer_id() for _ in range(4)]
    dup = str(uuid.uuid4())
    again = str(uuid.uuid4())
    clean = [
        customer_record(0, keys[0], event_id=dup),
        customer_record(1, keys[1], event_id=again),
        customer_record(2, keys[0], event_id=dup),
    ]
    parked, dlq = parking()
    group = f"batch-{uuid.uuid4().hex[:8]}"
    kafka = _Records(clean)
    ec = EventConsumer(db, kafka, dlq, name=group, handlers={EVENT: handler}, backoff=0.0)  # type: ignore[arg-type]
    assert ec.poll_once() == 3
    # a replay of an applied event (same id, later offset), a new one, and one that always fails
    kafka.batch = [
        customer_record(3, keys[1], event_id=again),
        customer_record(4, keys[2]),
        customer_record(5, keys[3], data=customer(keys[3], "poison")),
    ]
    assert ec.poll_once() == 3
    with db.engine.connect() as conn:
        applied = sorted(conn.execute(select(effects.c.key)).scalars())
    assert applied == sorted([keys[0], keys[1], keys[2]]), (
        "each event once: duplicates and redeliveries do nothing"
    )
    assert len(parked) == 1 and parked[0]["key"] == keys[3].encode(), "only the failing event is parked"
    assert kafka.committed == {"tp0": kafka.committed["tp0"]} and kafka.committed["tp0"].offset == 6


def test_an_event_that_breaks_its_contract_is_parked_at_once_and_never_handled(db: Database) -> None:
    handled: list[str] = []
    keys = [new_customer_id() for _ in range(3)]
    broken = customer(keys[1])
    del broken["email"]  # CustomerCreated v1 requires it
    batch = [customer_record(i, key, data=broken if i == 1 else None) for i, key in enumerate(keys)]
    parked, dlq = parking()
    kafka = _Records(batch)
    ec = EventConsumer(
        db,
        kafka,  # type: ignore[arg-type]
        dlq,  # type: ignore[arg-type]
        name=f"contract-{uuid.uuid4().hex[:8]}",
        handlers={EVENT: lambda uow, e: handled.append(e.key)},
        backoff=0.0,
    )
    assert ec.poll_once() == 3
    assert handled == [keys[0], keys[2]], "the others are applied, each once; the broken one never"
    [entry] = parked
    error = dict(entry["headers"])["dlq_error"].decode()
    assert entry["key"] == keys[1].encode() and error.startswith("breaks its contract")
    assert "email" in error, "the reason names what is missing"
    assert kafka.committed["tp0"].offset == 3, "the consumer moved on past it"


def test_a_row_changed_by_another_writer_is_retried_until_the_event_applies(db: Database) -> None:
    effects = Table("conflict_effects", db.metadata, Column("key", String(64)))
    db.metadata.create_all(db.engine, tables=[effects])
    tries: list[int] = []

    def handler(uow: UnitOfWork, e: Envelope) -> None:
        tries.append(1)
        if len(tries) < 5:  # more than `attempts`: a lost race is not a broken event
            raise ConcurrentChange("customer", e.key)
        uow.session.execute(insert(effects).values(key=e.key))

    key = new_customer_id()
    parked, dlq = parking()
    ec = EventConsumer(
        db,
        _Records([customer_record(0, key)]),  # type: ignore[arg-type]
        dlq,  # type: ignore[arg-type]
        name=f"conflict-{uuid.uuid4().hex[:8]}",
        handlers={EVENT: handler},
        attempts=3,
        backoff=0.0,
    )
    ec.poll_once()
    with db.engine.connect() as conn:
        assert list(conn.execute(select(effects.c.key)).scalars()) == [key]
    assert len(tries) == 5 and parked == []
