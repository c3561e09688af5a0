"""The example subscriber in docs/events.md works against the real broker: started with a group
of its own and a start time, it prints the events published since then, each once (a duplicate
delivery is skipped), in order per key; started again from the same time it replays them. The
events are valid CustomerCreated/CustomerUpdated v1 with keys of this test's own."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from billing_devtools.testing.samples import customer_event, new_customer_id
from billing_shared.events import catalog, contracts
from billing_shared.events.envelope import Envelope, utc_now_iso
from billing_shared.kafka import clients

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs/examples/billing_subscriber.py"


def envelope(name: str, customer_id: str) -> Envelope:
    data = customer_event(customer_id, name=name).data
    contracts.check(name, 1, data)
    return Envelope(
        id=str(uuid.uuid4()),
        type=catalog.ce_type(name, 1),
        source="/customers",
        subject=customer_id,
        time=utc_now_iso(),
        dataschema=catalog.dataschema(name, 1),
        key=customer_id,
        data=data,
    )


def run_example(
    bootstrap: str, group: str, since: str, wanted: set[str], timeout: float = 45
) -> list[dict[str, Any]]:
    """Runs the example until it printed every id in `wanted`, then stops it with Ctrl-C."""
    cmd = [sys.executable, str(EXAMPLE), "--bootstrap", bootstrap, "--group", group]
    proc = subprocess.Popen(
        [*cmd, "--topic", catalog.TOPIC_CUSTOMERS, "--from-time", since],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    # a thread reads the pipe: select() cannot see lines already in the text wrapper's buffer
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout or []], daemon=True).start()
    ours: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    try:
        while not wanted <= {e["id"] for e in ours} and time.monotonic() < deadline:
            try:
                event = json.loads(lines.get(timeout=0.5))
            except queue.Empty:
                continue
            if event["id"] in wanted:
                ours.append(event)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert wanted <= {e["id"] for e in ours}, proc.stderr.read() if proc.stderr else ""
    return ours


def test_the_example_subscriber_reads_each_event_once_in_order_and_replays(kafka_bootstrap: str) -> None:
    since = (datetime.now(UTC) - timedelta(seconds=2)).isoformat()
    first, second = new_customer_id(), new_customer_id()
    events = [
        envelope("CustomerCreated", first),
        envelope("CustomerCreated", second),
        envelope("CustomerUpdated", first),
        envelope("CustomerUpdated", first),
    ]
    producer = clients.producer(kafka_bootstrap, "test-example-subscriber")
    for e in [*events, events[2]]:  # the last one delivered twice, as at-least-once allows
        key, headers, value = e.to_kafka()
        producer.send(catalog.TOPIC_CUSTOMERS, key=key, headers=headers, value=value).get(timeout=10)
    producer.close()
    wanted = {e.id for e in events}
    group = f"test-example-subscriber-{uuid.uuid4().hex[:8]}"

    got = run_example(kafka_bootstrap, group, since, wanted)
    assert sorted(e["id"] for e in got) == sorted(wanted)  # the duplicate printed once
    of_first = [e for e in got if e["key"] == first]
    assert [e["id"] for e in of_first] == [events[0].id, events[2].id, events[3].id]
    assert [e["type"] for e in of_first] == [
        "billing.CustomerCreated.v1",
        "billing.CustomerUpdated.v1",
        "billing.CustomerUpdated.v1",
    ]
    assert of_first[0]["data"]["id"] == first and of_first[1]["data"]["changed"] == ["name"]

    # replay: the same group, started again from the same time, reads them again
    again = run_example(kafka_bootstrap, group, since, wanted)
    assert {e["id"] for e in again} == wanted


def test_docs_show_the_example_that_the_test_runs() -> None:
    doc = (ROOT / "docs/events.md").read_text()
    assert EXAMPLE.read_text().strip() in doc
