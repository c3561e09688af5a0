"""The customers worker on the real PostgreSQL and Kafka: its own events go out, others' come in."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from billing_devtools.localstack import free_port, http_ok
from billing_devtools.testing.kafka import TopicTail
from billing_devtools.testing.samples import order_created
from billing_shared.events import catalog
from billing_shared.events.envelope import Envelope
from billing_shared.kafka import clients

pytestmark = pytest.mark.integration


def test_worker_publishes_customer_events_and_records_references(
    client: FlaskClient, admin: dict[str, str], customers_db_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    tail = TopicTail(kafka_bootstrap, catalog.TOPIC_CUSTOMERS)
    health = free_port()
    env = os.environ | {
        "CUSTOMERS_DATABASE_URL": customers_db_url,
        "KAFKA_BOOTSTRAP": kafka_bootstrap,
        "CUSTOMERS_WORKER_HEALTH_PORT": str(health),
        "VAR_DIR": str(tmp_path),
    }
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115
    worker = subprocess.Popen(
        [sys.executable, "-m", "customers.cli", "worker"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        c = client.post(
            "/api/v1/Customers", json={"name": "Ann", "email": "ann@example.com"}, headers=admin
        ).json
        [record] = tail.collect({c["id"]}, 1, timeout=20)
        env_in = Envelope.from_kafka(record.key, record.headers, record.value)
        assert env_in.type == "billing.CustomerCreated.v2" and env_in.data["id"] == c["id"]

        deadline = time.monotonic() + 20
        while not http_ok(f"http://127.0.0.1:{health}/readyz") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert http_ok(f"http://127.0.0.1:{health}/healthz")

        # Another service's event, delivered twice: one reference.
        event = order_created(c["id"], order_id="ord_01ARZ3NDEKTSV4RRFFQ69G5FAV")
        producer = clients.producer(kafka_bootstrap, "test-orders")
        k, h, v = event.to_kafka()
        for _ in range(2):
            producer.send(catalog.TOPIC_ORDERS, key=k, headers=h, value=v).get(timeout=10)
        producer.close()
        deadline = time.monotonic() + 20
        refs: list[str] = []
        while time.monotonic() < deadline and not refs:
            refs = client.get(f"/api/v1/Customers/{c['id']}", headers=admin).json["references"]["orders"]
            time.sleep(0.2)
        assert refs == ["ord_01ARZ3NDEKTSV4RRFFQ69G5FAV"]
        time.sleep(1.0)  # the duplicate has been consumed by now too
        assert client.get(f"/api/v1/Customers/{c['id']}", headers=admin).json["references"]["orders"] == refs
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        tail.close()
    assert worker.returncode == 0, (tmp_path / "worker.log").read_text()[-2000:]
