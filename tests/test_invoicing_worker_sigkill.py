"""The invoicing worker SIGKILLed mid-batch, twice, and restarted: 200 orders paid → exactly 200
paid invoices numbered INV-<year>-000001..000200 with no gap and no duplicate, and each invoice's
InvoiceFinalized and InvoicePaid in the outbox exactly once.

A real worker process (`python -m invoicing.cli worker`) on its own migrated PostgreSQL database,
fed real CloudEvents (checked against their contracts) through a real Kafka broker. The broker is
one of this test's own: the worker's consumer group is the service's name and it subscribes to the
platform's fixed topic names, so on the shared test broker it would share the whole-platform
tests' invoicing consumer group and read every earlier test's orders and payments.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from billing_devtools.localstack import ROOT, free_port, http_ok
from billing_shared.db.migrate import migrate
from billing_shared.events import catalog, contracts
from billing_shared.events.envelope import Envelope, utc_now_iso
from billing_shared.kafka import clients
from billing_shared.kafka.topics import ensure_topics
from billing_shared.pricing import LineInput, TaxRate, price_order
from invoicing.domain.invoices import PAID, SERIES, format_number

pytestmark = pytest.mark.integration

N = 200
KILL_AFTER_FIRST = 50  # paid invoices before the first SIGKILL
KILL_AFTER_SECOND = 50  # more paid invoices (after the restart) before the second
TIME_LIMIT = 120.0  # seconds for the whole scenario once the broker is up
GROUP = "invoicing"  # the worker's consumer group: the service name
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


# -- a Kafka broker of this test's own ----------------------------------------------------------


@pytest.fixture(scope="module")
def own_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    controller = free_port()
    env = os.environ | {
        "KAFKA_PORT": str(port),
        "KAFKA_CONTROLLER_PORT": str(controller),
        "KAFKA_DATA_DIR": str(tmp_path_factory.mktemp("kafka")),
        "KAFKA_HEAP": "-Xmx256m -Xms256m",
    }
    script = str(ROOT / "deploy/local/kafka.sh")
    res = subprocess.run([script, "start"], env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, f"the test's Kafka broker did not start:\n{res.stdout}\n{res.stderr}"
    bootstrap = f"127.0.0.1:{port}"
    try:
        ensure_topics(bootstrap, partitions=3, timeout=60)
        yield bootstrap
    finally:
        subprocess.run([script, "stop"], env=env, capture_output=True, timeout=120)


# -- the events orders and payments publish (the versions they publish today) -------------------


def _id(prefix: str) -> str:
    n = uuid.uuid4().int
    return prefix + "_" + "".join(ALPHABET[(n >> (5 * i)) % 36] for i in range(26))


def _envelope(name: str, version: int, key: str, data: dict[str, Any], source: str) -> Envelope:
    contracts.check(name, version, data)  # what the publishers check before their outbox
    return Envelope(
        id=str(uuid.uuid4()),
        type=catalog.ce_type(name, version),
        source=source,
        subject=data["id"],
        time=utc_now_iso(),
        dataschema=catalog.dataschema(name, version),
        key=key,
        data=data,
    )


def _order_created(i: int, customer_id: str) -> Envelope:
    rate = TaxRate("txr_SIGKILLTEST", "VAT", Decimal("0.2"), False)
    priced = price_order(
        "EUR", [LineInput("prod_A", 1 + i % 3, 1999, rate), LineInput("prod_B", 1, 250, rate)]
    )
    data = priced.to_dict()
    data.pop("trace")
    data |= {
        "id": _id("ord"),
        "customerId": customer_id,
        "status": "draft",
        "billingCycleId": None,
        "couponCode": None,
        "createdAt": utc_now_iso(),
        "billingCycle": None,
        "coupon": None,
    }
    return _envelope("OrderCreated", 2, data["id"], data, "/orders")


def _payment_succeeded(order: Envelope) -> Envelope:
    o = order.data
    data = {
        "id": _id("pi"),
        "orderId": o["id"],
        "customerId": o["customerId"],
        "amount": o["total"],
        "currency": o["currency"],
        "gatewayId": "test",
        "gatewayReference": "tp_" + uuid.uuid4().hex,
        "invoiceId": None,
        "subscriptionId": None,
        "attempt": None,
        "paymentMethodToken": "tok_visa",
    }
    return _envelope("PaymentSucceeded", 2, data["id"], data, "/payments")


def _publish(bootstrap: str, envelopes: list[Envelope]) -> None:
    producer = clients.producer(bootstrap, client_id="sigkill-test")
    try:
        futures = []
        for env in envelopes:
            key, headers, value = env.to_kafka()
            futures.append(producer.send(catalog.topic_of(env.name), key=key, value=value, headers=headers))
        producer.flush(timeout=30)
        for f in futures:
            f.get(timeout=30)
    finally:
        producer.close(timeout=5)


# -- the worker process -------------------------------------------------------------------------


class Worker:
    def __init__(self, db_url: str, bootstrap: str, var: Path) -> None:
        self.health_port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")} | {
            "INVOICING_DATABASE_URL": db_url,
            "KAFKA_BOOTSTRAP": bootstrap,
            "INVOICING_WORKER_HEALTH_PORT": str(self.health_port),
            "VAR_DIR": str(var),
            "PYTHONUNBUFFERED": "1",
            # small polls: a poll's records commit together, and the kills must land between commits
            "KAFKA_MAX_POLL_RECORDS": "10",
        }
        self.log = var / "invoicing-worker.log"
        self.popen: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        with open(self.log, "ab") as log:
            log.write(f"--- start {self.starts + 1}\n".encode())
            log.flush()
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "invoicing.cli", "worker"],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def sigkill(self) -> None:
        assert self.popen is not None and self.alive(), f"the worker died on its own; log:\n{self.tail()}"
        os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen is not None and self.alive():
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)

    def ready(self) -> bool:
        return http_ok(f"http://127.0.0.1:{self.health_port}/readyz", timeout=0.5)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else "(no log)"


# -- reading the outcome ------------------------------------------------------------------------


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def _consumer_lag(bootstrap: str, topics: list[str]) -> int:
    """How many records of `topics` the worker's group has not committed yet (read with the group's
    id, never joining it)."""
    reader = KafkaConsumer(
        bootstrap_servers=bootstrap, group_id=GROUP, enable_auto_commit=False, client_id="sigkill-test-lag"
    )
    try:
        tps = [TopicPartition(t, p) for t in topics for p in reader.partitions_for_topic(t) or set()]
        ends = reader.end_offsets(tps)
        return sum(end - (reader.committed(tp) or 0) for tp, end in ends.items())
    finally:
        reader.close()


def test_sigkilled_worker_restarted_twice_gives_200_gapless_numbers(
    own_kafka: str, pg_database: str, tmp_path: Path
) -> None:
    migrate("invoicing", pg_database)
    engine = create_engine(pg_database, pool_size=2)
    worker = Worker(pg_database, own_kafka, tmp_path)
    deadline = time.monotonic() + TIME_LIMIT

    def wait_for(what: str, done: Callable[[], bool], poll: float = 0.01) -> None:
        while not done():
            if worker.popen is not None and not worker.alive():
                pytest.fail(
                    f"the worker exited with {worker.popen.returncode} while waiting for {what}:\n"
                    + worker.tail()
                )
            if time.monotonic() > deadline:
                pytest.fail(f"not within {TIME_LIMIT:.0f} s: {what}\nworker log:\n{worker.tail()}")
            time.sleep(poll)

    def paid() -> int:
        return _count(engine, "SELECT count(*) FROM invoices WHERE status = 'paid'")

    customer_id = _id("cus")
    orders = [_order_created(i, customer_id) for i in range(N)]
    payments = [_payment_succeeded(o) for o in orders]
    kills: list[int] = []
    t0 = time.monotonic()
    timeline: list[str] = []

    def mark(what: str) -> None:
        timeline.append(f"{time.monotonic() - t0:6.2f}s {what}")
        print(timeline[-1], flush=True)

    try:
        worker.start()
        wait_for("the worker's /readyz", worker.ready, poll=0.1)
        _publish(own_kafka, orders)
        wait_for(f"{N} draft invoices", lambda: _count(engine, "SELECT count(*) FROM invoices") == N, 0.05)

        mark("200 drafts")
        _publish(own_kafka, payments)
        mark("200 payments published")
        wait_for(f"{KILL_AFTER_FIRST} paid invoices", lambda: paid() >= KILL_AFTER_FIRST)
        worker.sigkill()
        kills.append(paid())
        mark(f"SIGKILL 1 at {kills[-1]} paid")
        worker.start()
        wait_for(
            f"{KILL_AFTER_SECOND} more paid invoices after the restart",
            lambda: paid() >= kills[0] + KILL_AFTER_SECOND,
        )
        worker.sigkill()
        kills.append(paid())
        mark(f"SIGKILL 2 at {kills[-1]} paid")
        worker.start()

        wait_for(f"{N} paid invoices", lambda: paid() == N, 0.05)
        mark(f"{N} paid")
        wait_for(
            "the worker's consumer group to commit every order and payment record",
            lambda: _consumer_lag(own_kafka, [catalog.TOPIC_ORDERS, catalog.TOPIC_PAYMENTS]) == 0,
            0.2,
        )
        wait_for(
            "the outbox relay to publish every event",
            lambda: _count(engine, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0,
            0.1,
        )
        mark("drained: offsets committed, outbox sent")
        assert worker.alive(), f"the worker died after draining:\n{worker.tail()}"
    finally:
        worker.stop()

    # the kills really landed while payments were still being applied
    assert all(0 < k < N for k in kills), "both kills must land mid-batch:\n" + "\n".join(timeline)

    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, order_id, number, status, amount_paid, total FROM invoices")
        ).all()
        outbox = conn.execute(
            text("SELECT type, subject, data FROM outbox WHERE topic = :t"), {"t": catalog.TOPIC_INVOICES}
        ).all()
        inbox = {r.event_id for r in conn.execute(text("SELECT event_id FROM inbox"))}
    engine.dispose()

    assert len(rows) == N
    assert {r.order_id for r in rows} == {o.data["id"] for o in orders}
    assert {r.status for r in rows} == {PAID}
    assert all(r.amount_paid == r.total for r in rows)
    numbers = sorted(r.number for r in rows)
    year = datetime.now(UTC).year
    assert numbers == [format_number(SERIES, year, i) for i in range(1, N + 1)], (
        f"not INV-{year}-000001..{N:06d}: first {numbers[:3]}, last {numbers[-3:]}, "
        f"{len(set(numbers))} distinct"
    )

    def per_invoice(type_name: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in outbox:
            if r.type.startswith(f"billing.{type_name}.v"):
                counts[r.subject] = counts.get(r.subject, 0) + 1
        return counts

    ids = {r.id for r in rows}
    for name in ("InvoiceCreated", "InvoiceFinalized", "InvoicePaid"):
        counts = per_invoice(name)
        twice = {k: v for k, v in counts.items() if v != 1}
        assert set(counts) == ids and not twice, (
            f"{name}: {len(counts)} invoices have it, {len(ids - set(counts))} lack it, "
            f"{len(twice)} have it more than once"
        )
    by_id = {r.id: r.number for r in rows}
    for r in outbox:
        if r.type.startswith("billing.InvoiceFinalized.v"):
            assert json.loads(r.data)["number"] == by_id[r.subject]
    assert {e.id for e in orders + payments} <= inbox
