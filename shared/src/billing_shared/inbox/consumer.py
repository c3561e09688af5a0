"""Consumes events exactly once in effect.

For each record: one transaction records the event id in the inbox and applies the handler's
effects; the offset is committed to Kafka only after that commit. A redelivered or replayed
event finds its id in the inbox and changes nothing. A record that keeps failing goes to
`<topic>.dlq` with its error, and the consumer moves on. An event that breaks its published contract
(JSON Schema) can never be applied: it is dead-lettered at once with the reason, never retried,
never guessed at with defaults, so handlers read only data their contract promises. A row that
another writer changed meanwhile (`ConcurrentChange`) is retried a few more times than other
failures, because the next try reads the new version and usually succeeds. A failure of the
infrastructure rather than of the record (the database unreachable or restarting) is never the
record's fault: it is retried, with backoff, until the database answers again, and never
dead-lettered. A broker that goes away is waited out the same way instead of ending the loop.

Under load a poll returns many records: they are applied in order in ONE transaction (one inbox
look-up, one inbox insert, one commit), which is what lets a worker keep up. If anything in that
batch fails, the transaction rolls back and the records are applied one by one as above, with
retries and the DLQ. Events this consumer has no handler for touch no database at all.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TypeVar

from kafka import KafkaConsumer, KafkaProducer, OffsetAndMetadata
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from prometheus_client import Counter
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from billing_shared import correlation
from billing_shared.concurrency import ConcurrentChange
from billing_shared.db.outage import database_unavailable
from billing_shared.db.uow import Database, UnitOfWork
from billing_shared.events import contracts
from billing_shared.events.catalog import DLQ_SUFFIX
from billing_shared.events.envelope import Envelope

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Envelope], None]
D = TypeVar("D")
# What a service's `handlers.py` maps an event name to: the event's use case, given the consumer's
# unit of work, the service's collaborators (`Deps`) and the event.
ServiceHandler = Callable[[UnitOfWork, D, Envelope], None]


def bind(handlers: Mapping[str, ServiceHandler[D]], deps: D) -> dict[str, Handler]:
    """The consumer's handlers: each service handler with the process's collaborators."""

    def bound(handler: ServiceHandler[D]) -> Handler:
        return lambda uow, event: handler(uow, deps, event)

    return {name: bound(handler) for name, handler in handlers.items()}


CONSUMED = Counter("inbox_events_total", "Events consumed", ["consumer", "type", "outcome"])
MAX_OUTAGE_BACKOFF = 5.0


class Stopping(Exception):
    """Asked to stop while waiting out an outage: the record stays uncommitted for the next run."""


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
        conflict_attempts: int = 10,
        backoff: float = 0.2,
    ) -> None:
        self.db = db
        self.consumer = consumer
        self.dlq = dlq_producer
        self.name = name  # the consumer group: inbox rows are per consumer
        self.handlers = handlers  # by event name (e.g. "OrderCreated"), any version
        self.attempts = attempts
        self.conflict_attempts = conflict_attempts
        self.backoff = backoff
        self.stop = threading.Event()

    def apply(self, env: Envelope, topic: str) -> bool:
        """Apply one event in one transaction; False when it was already applied (or not ours)."""
        handler = self.handlers.get(env.name)
        if handler is None:
            return False  # no effect to make, nothing to remember
        inbox = self.db.kit_tables.inbox
        with self.db.unit_of_work() as uow:
            seen = uow.session.execute(
                select(inbox.c.event_id).where(inbox.c.consumer == self.name, inbox.c.event_id == env.id)
            ).first()
            if seen:
                return False
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
        return True

    def handle_record(self, record: ConsumerRecord) -> None:
        """Apply with retries; park in the DLQ when it keeps failing. Never raises for bad input."""
        try:
            env = Envelope.from_kafka(record.key, record.headers, record.value)
        except Exception as exc:
            self._dead_letter(record, f"undecodable: {exc}")
            return
        if env.name in self.handlers:
            try:
                contracts.check(env.name, env.version, env.data)
            except contracts.ContractError as exc:
                self._dead_letter(record, f"breaks its contract: {exc}")
                CONSUMED.labels(self.name, env.name, "dead_lettered").inc()
                return
        token = correlation.set_current(env.correlation_id)
        try:
            attempt, outage = 1, 0
            while True:
                try:
                    applied = self.apply(env, record.topic)
                    CONSUMED.labels(self.name, env.name, "applied" if applied else "skipped").inc()
                    return
                except Exception as exc:
                    if database_unavailable(exc):
                        outage += 1
                        if outage == 1 or outage % 10 == 0:
                            log.warning(
                                "database unavailable; retrying the event until it answers",
                                extra={"event_id": env.id, "type": env.type, "error": str(exc)[:300]},
                            )
                        if self.stop.wait(min(MAX_OUTAGE_BACKOFF, self.backoff * 2 ** min(outage, 5))):
                            raise Stopping from exc
                        continue
                    log.warning(
                        "handler failed",
                        extra={"event_id": env.id, "type": env.type, "attempt": attempt, "error": str(exc)},
                    )
                    conflict = isinstance(exc, ConcurrentChange)
                    if attempt >= (self.conflict_attempts if conflict else self.attempts):
                        self._dead_letter(record, f"{type(exc).__name__}: {exc}")
                        CONSUMED.labels(self.name, env.name, "dead_lettered").inc()
                        return
                    time.sleep(self.backoff * (0.25 if conflict else attempt))
                    attempt += 1
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

    def apply_batch(self, records: list[ConsumerRecord]) -> bool:
        """All records in order in one transaction; False (nothing kept) if any of them fails."""
        try:
            envs = [(r, Envelope.from_kafka(r.key, r.headers, r.value)) for r in records]
        except Exception:
            return False  # the one-by-one path parks the undecodable record
        mine = [(r, e) for r, e in envs if e.name in self.handlers]
        try:
            for _, e in mine:
                contracts.check(e.name, e.version, e.data)
        except contracts.ContractError:
            return False  # the one-by-one path parks the event that breaks its contract
        if not mine:
            for _, e in envs:
                CONSUMED.labels(self.name, e.name, "skipped").inc()
            return True
        inbox = self.db.kit_tables.inbox
        applied: list[Envelope] = []
        try:
            with self.db.unit_of_work() as uow:
                ids = list({e.id for _, e in mine})
                known = select(inbox.c.event_id).where(
                    inbox.c.consumer == self.name, inbox.c.event_id.in_(ids)
                )
                seen = set(uow.session.execute(known).scalars())
                rows = []
                for record, env in mine:
                    if env.id in seen:
                        continue
                    seen.add(env.id)
                    token = correlation.set_current(env.correlation_id)
                    try:
                        self.handlers[env.name](uow, env)
                    finally:
                        correlation.reset(token)
                    rows.append(
                        {
                            "consumer": self.name,
                            "event_id": env.id,
                            "topic": record.topic,
                            "type": env.type,
                            "processed_at": datetime.now(UTC),
                        }
                    )
                    applied.append(env)
                if rows:
                    uow.session.execute(insert(inbox), rows)
                uow.commit()
        except Exception as exc:
            log.info("batch not applied; one by one", extra={"consumer": self.name, "error": str(exc)})
            return False
        for _, e in envs:
            CONSUMED.labels(self.name, e.name, "applied" if e in applied else "skipped").inc()
        return True

    def poll_once(self, timeout_ms: int = 500) -> int:
        batches = self.consumer.poll(timeout_ms=timeout_ms)
        records = [r for rs in batches.values() for r in rs]  # each partition's order is kept
        if records and not (len(records) > 1 and self.apply_batch(records)):
            for record in records:
                self.handle_record(record)
        offsets = {tp: OffsetAndMetadata(rs[-1].offset + 1, "", -1) for tp, rs in batches.items() if rs}
        if offsets:
            self.consumer.commit(offsets)
        return len(records)

    def run(self, stop: threading.Event) -> None:
        log.info("consumer running", extra={"consumer": self.name})
        self.stop = stop
        outage = 0
        while not stop.is_set():
            try:
                self.poll_once()
                outage = 0
            except Stopping:
                return  # the record in hand was not committed: it is redelivered after the restart
            except KafkaError as exc:
                # the broker is away: the client reconnects by itself; what was applied and not
                # committed is redelivered and skipped by the inbox
                outage += 1
                if outage == 1 or outage % 10 == 0:
                    log.warning(
                        "broker unavailable; waiting", extra={"consumer": self.name, "error": str(exc)}
                    )
                stop.wait(min(MAX_OUTAGE_BACKOFF, 0.2 * 2 ** min(outage, 5)))
