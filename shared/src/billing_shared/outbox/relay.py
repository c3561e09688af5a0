"""The outbox relay: publishes committed outbox rows to Kafka in commit order, then marks them sent.

- One active relay per service database (a PostgreSQL advisory lock, or a file lock for SQLite),
  so per-aggregate order is kept; other replicas wait as hot standbys.
- It wakes on the commit itself: PostgreSQL LISTEN/NOTIFY, or SQLite's `data_version`
  polled every few milliseconds. No one-second sleep loop.
- A crash after publishing but before marking re-publishes on restart: consumers dedupe by
  event id (the inbox), so at-least-once here is exactly-once in effect.
- A pass that Kafka failed (records expired while the broker was away, a flush that timed out)
  replaces the producer: kafka-python's idempotent producer does not recover from expired
  batches by itself, and a relay that kept it stayed stuck after a 60 s broker outage.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import psycopg
from kafka import KafkaProducer
from kafka.errors import KafkaError
from prometheus_client import Counter, Histogram
from sqlalchemy.engine import make_url

from billing_shared import faults
from billing_shared.db.engine import WRITE_OPTION
from billing_shared.db.uow import Database
from billing_shared.outbox import store

log = logging.getLogger(__name__)

PUBLISHED = Counter("outbox_published_total", "Outbox events published to Kafka", ["service"])
LAG = Histogram(
    "outbox_commit_to_publish_seconds",
    "Time from the event's commit to Kafka's acknowledgement",
    ["service"],
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1, 5),
)


class Waker(Protocol):
    def acquire_leadership(self) -> bool: ...
    def wait(self, timeout: float) -> None: ...
    def close(self) -> None: ...


class PostgresWaker:
    def __init__(self, url: str, service: str) -> None:
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.conn = psycopg.connect(dsn, autocommit=True)
        self.lock_key = zlib.crc32(f"outbox-relay:{service}".encode())
        self.conn.execute(f"LISTEN {store.NOTIFY_CHANNEL}")

    def acquire_leadership(self) -> bool:
        row = self.conn.execute("SELECT pg_try_advisory_lock(%s)", [self.lock_key]).fetchone()
        return bool(row and row[0])

    def wait(self, timeout: float) -> None:
        for _ in self.conn.notifies(timeout=timeout, stop_after=1):
            pass

    def close(self) -> None:
        """Leadership is handed over at once: the lock is released before the connection closes
        (a closed connection's backend may outlive the close by a moment, lock and all)."""
        with contextlib.suppress(psycopg.Error):
            self.conn.execute("SELECT pg_advisory_unlock_all()")
        self.conn.close()


class SqliteWaker:
    """SQLite has no NOTIFY: `PRAGMA data_version` changes when another connection commits."""

    def __init__(self, path: str, interval: float = 0.003) -> None:
        self.path = path
        self.interval = interval
        self.lock_file = open(path + ".relay.lock", "a+")  # noqa: SIM115 (held for the process's life)
        self.conn = sqlite3.connect(path, check_same_thread=False)
        self.version = self._version()

    def _version(self) -> int:
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def acquire_leadership(self) -> bool:
        try:
            fcntl.flock(self.lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            v = self._version()
            if v != self.version:
                self.version = v
                return
            time.sleep(self.interval)

    def close(self) -> None:
        self.conn.close()
        self.lock_file.close()


def make_waker(db: Database) -> Waker:
    if db.sqlite:
        path = make_url(db.url).database
        assert path, "the relay needs a file-backed SQLite database"
        return SqliteWaker(path)
    return PostgresWaker(db.url, db.service)


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        producer: KafkaProducer,
        *,
        batch: int = 500,
        new_producer: Callable[[], KafkaProducer] | None = None,
    ) -> None:
        self.db = db
        self.producer = producer
        self.batch = batch
        self.new_producer = new_producer  # how to replace a producer Kafka failed (None: keep it)

    def renew_producer(self) -> None:
        """Drop the producer (its unsent batches are still unsent rows) and start a fresh one."""
        if self.new_producer is None:
            return
        try:
            self.producer.close(timeout=0)
        except Exception:
            log.warning("closing the failed producer failed", exc_info=True)
        try:
            self.producer = self.new_producer()
            log.warning("outbox relay: a new Kafka producer after a failed pass")
        except Exception:
            log.warning("no new Kafka producer yet (broker away?); retrying on the next pass", exc_info=True)

    def publish_pending(self) -> int:
        """Publish one batch of unsent rows; returns how many were published and marked."""
        with self.db.engine.connect() as conn:
            rows = store.unsent(conn, self.db.kit_tables.outbox, self.batch)
            conn.rollback()
        if not rows:
            return 0
        faults.point("relay.before_publish")
        sent = [
            (row_id, env, self.producer.send(topic, key=k, value=v, headers=h))
            for row_id, topic, env in rows
            for k, h, v in [env.to_kafka()]
        ]
        self.producer.flush(timeout=30)
        done: list[int] = []
        failed = False
        for row_id, env, future in sent:
            try:
                future.get(timeout=0)
            except Exception:
                # Stop at the first failure: the rest are retried in order on the next pass.
                log.exception("publish failed", extra={"event_id": env.id})
                failed = True
                break
            done.append(row_id)
        acked = time.time()  # before marking: the histogram measures the event's way to Kafka only
        faults.point("relay.after_publish")
        with self.db.engine.connect().execution_options(**{WRITE_OPTION: True}) as conn:
            store.mark_sent(conn, self.db.kit_tables.outbox, done)
            conn.commit()
        for _row_id, env, _f in sent[: len(done)]:
            LAG.labels(self.db.service).observe(max(0.0, acked - _commit_time(env.time)))
        PUBLISHED.labels(self.db.service).inc(len(done))
        if failed:
            self.renew_producer()
        return len(done)

    def run(self, stop: threading.Event, idle_wait: float = 1.0) -> None:
        waker = make_waker(self.db)
        try:
            while not stop.is_set() and not waker.acquire_leadership():
                log.info("another relay is active for this database; standing by")
                stop.wait(2.0)
            log.info("outbox relay active", extra={"service": self.db.service})
            while not stop.is_set():
                try:
                    if self.publish_pending():
                        continue
                except KafkaError:
                    log.exception("outbox relay pass failed (Kafka); retrying with a new producer")
                    self.renew_producer()
                    stop.wait(0.5)
                    continue
                except Exception:
                    log.exception("outbox relay pass failed; retrying")
                    stop.wait(0.5)
                    continue
                waker.wait(idle_wait)
        finally:
            waker.close()


def _commit_time(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def run_forever(db: Database, bootstrap: str, stop: threading.Event, **kw: Any) -> None:
    from billing_shared.kafka.clients import producer

    def new() -> KafkaProducer:
        return producer(bootstrap, client_id=f"{db.service}-relay-{os.getpid()}")

    relay = OutboxRelay(db, new(), new_producer=new, **kw)
    try:
        relay.run(stop)
    finally:
        relay.producer.close(timeout=5)


def main(argv: list[str] | None = None) -> None:
    """Run a relay alone for one service database: `python -m billing_shared.outbox.relay URL SERVICE`."""
    import argparse
    import signal

    from sqlalchemy import MetaData

    from billing_shared import faults
    from billing_shared.db.tables import add_kit_tables
    from billing_shared.logs import configure_logging
    from billing_shared.settings import CommonSettings

    parser = argparse.ArgumentParser(prog="outbox-relay")
    parser.add_argument("database_url")
    parser.add_argument("service")
    args = parser.parse_args(argv)
    settings = CommonSettings()
    faults.arm(settings.billing_faults, settings.environment)
    configure_logging(f"{args.service}-relay")
    metadata = MetaData()
    db = Database(args.database_url, metadata, add_kit_tables(metadata), args.service)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    run_forever(db, settings.kafka_bootstrap, stop)


if __name__ == "__main__":
    main()
