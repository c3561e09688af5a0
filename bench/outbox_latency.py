"""Outbox relay latency: from a change's commit to its event being readable on Kafka.

Commits N single-event transactions one at a time (the relay idle between them, the hard case
for a poll loop) on SQLite (the `make run` default) and on PostgreSQL, and reads each event back
with a plain consumer. Prints p50/p90/p99/max. Goal: p99 <= 20 ms. Bounded by N and a timeout.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import threading
import time

from sqlalchemy import MetaData

from billing_devtools.localstack import ROOT
from billing_devtools.testing import infra
from billing_devtools.testing.kafka import TopicTail
from billing_devtools.testing.samples import commit_events, customer_event, new_customer_id
from billing_shared.db.tables import add_kit_tables
from billing_shared.db.uow import Database
from billing_shared.events.catalog import TOPIC_CUSTOMERS
from billing_shared.outbox import relay

N = int(os.environ.get("BENCH_OUTBOX_EVENTS", "300"))
GAP = 0.01  # between commits, so the relay is idle and must be woken


def measure(url: str, bootstrap: str, label: str) -> dict[str, float]:
    metadata = MetaData()
    db = Database(url, metadata, add_kit_tables(metadata), f"bench-{label}")
    metadata.create_all(db.engine)
    tail = TopicTail(bootstrap, TOPIC_CUSTOMERS)
    stop = threading.Event()
    t = threading.Thread(target=relay.run_forever, args=(db, bootstrap, stop), daemon=True)
    t.start()
    time.sleep(1.0)
    warm = new_customer_id()  # the first publish also fetches the topic's metadata: not measured
    commit_events(db, [customer_event(warm)])
    if not tail.collect({warm}, 1, timeout=30):
        raise RuntimeError("warm-up event not seen on Kafka within 30 s")
    lags: list[float] = []
    try:
        for _ in range(N):
            cid = new_customer_id()
            commit_events(db, [customer_event(cid)])
            committed = time.perf_counter()
            if not tail.collect({cid}, 1, timeout=5):
                raise RuntimeError("event not seen on Kafka within 5 s")
            lags.append((time.perf_counter() - committed) * 1000)
            time.sleep(GAP)
    finally:
        stop.set()
        t.join(10)
        tail.close()
        db.dispose()
    q = statistics.quantiles(lags, n=100)
    return {
        "n": len(lags),
        "p50": statistics.median(lags),
        "p90": q[89],
        "p99": q[98],
        "max": max(lags),
        "acked_within_ms": acked_within(db.service),
    }


def acked_within(service: str) -> dict[str, float]:
    """The relay's own histogram (commit -> Kafka acknowledged), as the share of events per bound."""
    buckets = {}
    total = 0.0
    for metric in relay.LAG.collect():
        for sample in metric.samples:
            if sample.labels.get("service") != service:
                continue
            if sample.name.endswith("_bucket"):
                buckets[sample.labels["le"]] = sample.value
            elif sample.name.endswith("_count"):
                total = sample.value
    return {
        f"<={float(le) * 1000:g}": round(v / total, 3) for le, v in buckets.items() if le != "+Inf" and total
    }


def main() -> None:
    bootstrap, _ = infra.start_kafka(stop_at_exit=True)
    admin, _ = infra.start_postgres(stop_at_exit=True)
    pg = infra.create_database(admin, "bench_outbox")
    results = {}
    try:
        results["sqlite"] = measure(f"sqlite:///{tempfile.mkdtemp()}/bench.db", bootstrap, "sqlite")
        results["postgresql"] = measure(pg, bootstrap, "pg")
    finally:
        infra.drop_database(admin, pg)
    print(f"\ncommit -> readable on Kafka, {N} events one at a time (ms)")
    print(f"{'database':11} {'p50':>6} {'p90':>6} {'p99':>6} {'max':>6}")
    for name, r in results.items():
        print(f"{name:11} {r['p50']:6.1f} {r['p90']:6.1f} {r['p99']:6.1f} {r['max']:6.1f}")
    for name, r in results.items():
        shares = ", ".join(f"{k} ms: {v:.1%}" for k, v in r["acked_within_ms"].items())
        print(f"commit -> acknowledged by Kafka ({name}, the relay's histogram): {shares}")
    worst = max(r["p99"] for r in results.values())
    print(
        f"goal p99 <= 20 ms: {'met' if worst <= 20 else 'MISSED'} (worst p99 {worst:.1f} ms; includes the "
        f"consumer's own fetch wait)"
    )
    out = ROOT / "bench" / "results" / "outbox_latency.json"
    out.write_text(json.dumps({"benchmark": "outbox_latency", "events": N, "results": results}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
