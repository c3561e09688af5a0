"""Consumes events exactly once in effect.

For each record: one transaction records the event id in the inbox and applies the handler's
effects; the offset is committed to Kafka only after that commit. A redelivered or replayed
event finds its id in the inbox and changes nothing. A record that keeps failing goes to
`<topic>.dlq` with its error, and the consumer moves on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from kafka import KafkaConsumer, KafkaProducer, OffsetAndMetadata, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from prometheus_client import Counter
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from billing_shared import correlation
from billing_shared.db.uow import Database, UnitOfWork
from billing_shared.events.catalog import DLQ_SUFFIX
from billing_shared.events.envelope import Envelope

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Envelope], None]

CONSUMED = Counter("inbox_events_total", "Events consumed", ["consumer", "type", "outcome"])


class EventConsumer:
    def __init__(
        self,
        db: Database,
        consumer: KafkaConsumer,
        dlq_producer: KafkaProducer,
        *,
        name: str,
        handlers: dict[str, Handler],
        attempts: int = 3,
        backoff: float = 0.2,
    ) -> None:
        self.db = db
        self.consumer = consumer
        self.dlq = dlq_producer
        self.name = name  # the consumer group: inbox rows are per consumer
        self.handlers = handlers  # by event name (e.g. "OrderCreated"), any version
        self.attempts = attempts
        self.backoff = backoff

    def apply(self, env: Envelope, topic: str) -> bool:
        """Apply one event in one transaction; False when it was already applied (or not ours)."""
        handler = self.handlers.get(env.name)
        inbox = self.db.kit.inbox
        with self.db.unit_of_work() as uow:
            seen = uow.session.execute(
                select(inbox.c.event_id).where(inbox.c.consumer == self.name, inbox.c.event_id == env.id)
            ).first()
            if seen:
                return False
            if handler is not None:
                handler(uow, env)
            uow.session.execute(
                insert(inbox).values(
                    consumer=self.name,
                    event_id=env.id,
                    topic=topic,
                    type=env.type,
                    processed_at=datetime.now(UTC),
                )
            )
            try:
                uow.commit()
            except IntegrityError:
                return False  # a concurrent delivery of the same event won
        return handler is not None

    def handle_record(self, record: ConsumerRecord) -> None:
        """Apply with retries; park in the DLQ when it keeps failing. Never raises for bad input."""
        try:
            env = Envelope.from_kafka(record.key, record.headers, record.value)
        except Exception as exc:
            self._dead_letter(record, f"undecodable: {exc}")
            return
        token = correlation.set_current(env.correlation_id)
        try:
            for attempt in range(1, self.attempts + 1):
                try:
                    applied = self.apply(env, record.topic)
                    CONSUMED.labels(self.name, env.name, "applied" if applied else "skipped").inc()
                    return
                except Exception as exc:
                    log.warning(
                        "handler failed",
                        extra={"event_id": env.id, "type": env.type, "attempt": attempt, "error": str(exc)},
                    )
                    if attempt == self.attempts:
                        self._dead_letter(record, f"{type(exc).__name__}: {exc}")
                        CONSUMED.labels(self.name, env.name, "dead_lettered").inc()
                        return
                    time.sleep(self.backoff * attempt)
        finally:
            correlation.reset(token)

    def _dead_letter(self, record: ConsumerRecord, error: str) -> None:
        headers = [
            *(record.headers or []),
            ("dlq_error", error[:2000].encode()),
            ("dlq_consumer", self.name.encode()),
        ]
        headers += [("dlq_topic", record.topic.encode()), ("dlq_offset", str(record.offset).encode())]
        # Synchronous: the offset must not move past a record that is neither applied nor parked.
        self.dlq.send(record.topic + DLQ_SUFFIX, key=record.key, value=record.value, headers=headers).get(
            timeout=30
        )
        log.error(
            "event dead-lettered", extra={"topic": record.topic, "offset": record.offset, "error": error}
        )

    def poll_once(self, timeout_ms: int = 500) -> int:
        batches = self.consumer.poll(timeout_ms=timeout_ms)
        n = 0
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        for tp, records in batches.items():
            for record in records:
                self.handle_record(record)
                offsets[tp] = OffsetAndMetadata(record.offset + 1, "", -1)
                n += 1
        if offsets:
            self.consumer.commit(offsets)
        return n

    def run(self, stop: threading.Event) -> None:
        log.info("consumer running", extra={"consumer": self.name})
        while not stop.is_set():
            self.poll_once()
