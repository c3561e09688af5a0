"""The payments worker on the real PostgreSQL and Kafka: orders' events build the projection an
intent is checked against (a redelivery changes nothing), and payments' own events go out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from billing_shared.events import catalog
from billing_shared.events.envelope import Envelope, utc_now_iso
from billing_shared.ids import new_id
from billing_shared.kafka import clients
from billing_shared.localstack import free_port, http_ok
from billing_shared.testing.kafka import TopicTail

pytestmark = pytest.mark.integration


def order_created(order_id: str, customer_id: str, total: int) -> Envelope:
    data: dict[str, Any] = {"id": order_id, "customerId": customer_id, "currency": "EUR", "total": total}
    return Envelope(
        id=new_id("evt"),
        type=catalog.ce_type("OrderCreated", 1),
        source="/orders",
        subject=order_id,
        time=utc_now_iso(),
        dataschema=catalog.dataschema("OrderCreated", 1),
        key=order_id,
        data=data,
    )


def test_worker_projects_orders_and_publishes_payment_events(
    client: FlaskClient, admin: dict[str, str], payments_db_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    tail = TopicTail(kafka_bootstrap, catalog.TOPIC_PAYMENTS)
    health = free_port()
    env = os.environ | {
        "PAYMENTS_DATABASE_URL": payments_db_url,
        "KAFKA_BOOTSTRAP": kafka_bootstrap,
        "PAYMENTS_WORKER_HEALTH_PORT": str(health),
        "PAYMENTS_TEST_GATEWAY_ENABLED": "false",  # the worker's gateways are not what is tested here
        "VAR_DIR": str(tmp_path),
    }
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115
    worker = subprocess.Popen(
        [sys.executable, "-m", "payments.cli", "worker"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        order_id, customer_id = new_id("ord"), new_id("cus")
        event = order_created(order_id, customer_id, 1250)
        producer = clients.producer(kafka_bootstrap, "test-orders")
        k, h, v = event.to_kafka()
        for _ in range(2):
            producer.send(catalog.TOPIC_ORDERS, key=k, headers=h, value=v).get(timeout=10)
        producer.close()
        deadline = time.monotonic() + 20
        while not http_ok(f"http://127.0.0.1:{health}/readyz") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert http_ok(f"http://127.0.0.1:{health}/healthz")

        body = {"orderId": order_id, "amount": 1250, "currency": "EUR", "paymentMethodToken": "tok_visa"}
        r = None
        while time.monotonic() < deadline:
            r = client.post("/api/v1/PaymentIntents", json=body, headers=admin)
            if r.status_code != 422:
                break
        assert r is not None and r.status_code == 201 and r.json["status"] == "succeeded", r and r.json
        records = tail.collect({r.json["id"]}, 2, timeout=20)
        types = [Envelope.from_kafka(x.key, x.headers, x.value).type for x in records]
        assert types == ["billing.PaymentIntentCreated.v2", "billing.PaymentSucceeded.v2"]
        assert client.post("/api/v1/PaymentIntents", json=body, headers=admin).status_code == 409
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        tail.close()
    assert worker.returncode == 0, (tmp_path / "worker.log").read_text()[-2000:]
