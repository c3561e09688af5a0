"""A card number reaches the test gateway's tokenisation endpoint and nothing else: after a whole
paid flow with the test card 4242 4242 4242 4242, no database, log or other file of the platform,
and no event it published, holds the number in any of its usual spellings."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from helpers import Client
from kafka import KafkaConsumer, TopicPartition

from billing_shared.events import catalog

pytestmark = [pytest.mark.integration, pytest.mark.stack]

NUMBER = "4242424242424242"
SPELLINGS = [NUMBER, "4242 4242 4242 4242", "4242-4242-4242-4242"]


def found_in(data: str | bytes, needles: list[str]) -> list[str]:
    raw = data.encode() if isinstance(data, str) else data
    return [n for n in needles if n.encode() in raw]


def pay_with_a_card(api: Client) -> tuple[dict[str, Any], str]:
    """The client's whole journey: tokenise at the test gateway (as a browser would, directly), then
    pay the order through the platform with the token only."""
    psp = f"http://127.0.0.1:{api.platform.ports.test_psp}"
    token = requests.post(
        f"{psp}/v1/tokens",
        json={"number": "4242 4242 4242 4242", "expMonth": 12, "expYear": 2034, "cvc": "123"},
        timeout=10,
    )
    assert token.status_code == 200, token.text
    assert token.json()["card"] == {"brand": "visa", "last4": "4242"}

    product = api.call(
        "POST",
        "/Products",
        {"name": "Card plan", "taxCategory": "standard", "prices": [{"currency": "USD", "unitPrice": 2500}]},
    )
    assert product.status_code == 201, product.text
    customer = api.call(
        "POST",
        "/Customers",
        {
            "name": "Card Payer",
            "email": f"payer.{uuid.uuid4().hex[:8]}@example.com",
            "billingAddress": {"country": "IS", "city": "Akureyri", "postalCode": "600", "line1": "2"},
        },
    )
    assert customer.status_code == 201, customer.text
    order = api.call(
        "POST",
        "/Orders",
        {
            "customerId": customer.json()["id"],
            "currency": "USD",
            "items": [{"productId": product.json()["id"], "quantity": 2}],
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    ).json()
    intent = api.create_intent(
        {
            "orderId": order["id"],
            "amount": order["total"],
            "currency": "USD",
            "paymentMethodToken": token.json()["id"],
            "gatewayId": "test",
        }
    )
    assert intent.status_code == 201, intent.text
    assert intent.json()["status"] == "succeeded", intent.json()
    deadline = time.monotonic() + 30
    while api.call("GET", f"/Orders/{order['id']}").json()["status"] != "paid":
        assert time.monotonic() < deadline, "the order was not marked paid within 30 s"
        time.sleep(0.2)
    return intent.json(), token.json()["id"]


def files_with(var: Path, needles: list[str]) -> list[str]:
    """Every file under the platform's var dir: logs, SQLite files (and their WAL), anything else."""
    files = [f for f in var.rglob("*") if f.is_file()]
    return [f"{f.relative_to(var)}: {hits}" for f in files if (hits := found_in(f.read_bytes(), needles))]


def rows_with(url: str, needles: list[str]) -> list[str]:
    """Every row of every table of one PostgreSQL database, as text."""
    found = []
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            tables = conn.execute(
                sa.text(
                    "SELECT table_schema, table_name FROM information_schema.tables"
                    " WHERE table_type = 'BASE TABLE'"
                    " AND table_schema NOT IN ('pg_catalog', 'information_schema')"
                )
            ).all()
            assert tables, f"no tables in {url}"
            for schema, table in tables:
                q = sa.text(f'SELECT t::text FROM "{schema}"."{table}" AS t')
                for (row,) in conn.execute(q):
                    if found_in(row or "", needles):
                        found.append(f"{schema}.{table}: {row[:200]}")
    finally:
        engine.dispose()
    return found


def events_with(bootstrap: str, needles: list[str]) -> list[str]:
    """Every event on the platform's topics, from the beginning."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        tps = [
            TopicPartition(topic, p)
            for topic in catalog.AGGREGATE_TOPICS
            for p in consumer.partitions_for_topic(topic) or set()
        ]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        found = []
        deadline = time.monotonic() + 60
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            assert time.monotonic() < deadline, "reading the topics took over 60 s"
            for records in consumer.poll(timeout_ms=500).values():
                for r in records:
                    if found_in(r.value or b"", needles) or found_in(repr(r.headers), needles):
                        found.append(f"{r.topic}@{r.offset}")
        return found
    finally:
        consumer.close()


def test_the_card_number_is_nowhere_after_a_paid_flow(api: Client, kafka_bootstrap: str) -> None:
    intent, token = pay_with_a_card(api)
    platform = api.platform
    time.sleep(1)  # let the last log lines and webhook deliveries land
    assert any(platform.var.rglob("*.log")), "no log files to search"
    assert (platform.var / "test-psp.sqlite3").exists(), "the test gateway's database is missing"
    assert platform.db_urls, "the platform runs on no PostgreSQL databases"

    # The searches do see the flow: the token is in the test gateway's file, the intent in the
    # payments database and on billing.payments.
    assert files_with(platform.var, [token]) and events_with(kafka_bootstrap, [intent["id"]])
    assert rows_with(platform.db_urls["payments"], [intent["id"]])

    assert files_with(platform.var, SPELLINGS) == []
    for owner, url in platform.db_urls.items():
        assert rows_with(url, SPELLINGS) == [], owner
    assert events_with(kafka_bootstrap, SPELLINGS) == []


def test_provider_secrets_are_in_no_response_log_or_event(api: Client, kafka_bootstrap: str) -> None:
    """Webhook secrets and provider keys come from settings only: no API answer, log line, database
    row of ours or event carries them (the test gateway's own secrets file is where they live)."""
    pay_with_a_card(api)
    secrets = json.loads((api.platform.var / "test-psp-secrets.json").read_text())
    needles = [str(v) for v in secrets.values() if isinstance(v, str) and len(v) >= 16]
    assert needles, "no secrets to look for"
    answers = [
        api.call("GET", "/PaymentGateways"),
        api.call("GET", "/PaymentGateways/test"),
        api.http.get(api.base + "/api/v1/openapi.json", timeout=10),
    ]
    for r in answers:
        assert r.status_code == 200, r.text
        assert found_in(r.text, needles) == [], r.url
    time.sleep(1)
    logs = [f for f in api.platform.var.rglob("*.log")]
    assert logs and [str(f) for f in logs if found_in(f.read_bytes(), needles)] == []
    for owner, url in api.platform.db_urls.items():
        assert rows_with(url, needles) == [], owner
    assert events_with(kafka_bootstrap, needles) == []
