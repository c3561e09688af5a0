"""Helpers for the kit's integration tests: a database holding only the kit's tables, events, and
a Kafka reader positioned at the end of a topic."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from sqlalchemy import MetaData

from billing_shared.db.tables import add_kit_tables
from billing_shared.db.uow import Database
from billing_shared.events.domain import DomainEvent
from billing_shared.ids import new_id


def kit_database(url: str, service: str = "kittest") -> Database:
    metadata = MetaData()
    db = Database(url, metadata, add_kit_tables(metadata), service)
    metadata.create_all(db.engine)
    return db


def customer_event(customer_id: str, version: int = 1, name: str = "CustomerCreated") -> DomainEvent:
    now = datetime.now(UTC).isoformat()
    data: dict[str, object] = {
        "id": customer_id, "name": "Ann", "email": "ann@example.com", "billingAddress": None, "taxId": None,
        "preferredCurrency": None, "metadata": {}, "createdAt": now, "updatedAt": now, "version": version,
    }
    if name == "CustomerUpdated":
        data["changed"] = ["name"]
    return DomainEvent(name, customer_id, data)


def new_customer_id() -> str:
    return new_id("cus")


def commit_events(db: Database, events: list[DomainEvent]) -> None:
    with db.unit_of_work() as uow:
        for e in events:
            uow.emit(e)
        uow.commit()


class TopicTail:
    """Reads a topic from the current end; no consumer group, so nothing is committed."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        parts = self.consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in parts]
        self.consumer.assign(tps)
        self.consumer.seek_to_end(*tps)
        for tp in tps:
            self.consumer.position(tp)

    def collect(self, keys: set[str], count: int, timeout: float = 10.0) -> list[ConsumerRecord]:
        got: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            for records in self.consumer.poll(timeout_ms=100).values():
                got.extend(r for r in records if (r.key or b"").decode() in keys)
        return got

    def close(self) -> None:
        self.consumer.close()
