#!/usr/bin/env python3
"""`make chaos`: the long fault run. The whole platform as real processes on a Kafka broker and a
PostgreSQL cluster of its own; 1,000+ complete flows (customer → order → payment, some through
3-D Secure → paid → invoice finalized → sent; some monthly plans) driven through the gateway by
retrying clients while faults are injected one scenario at a time: SIGKILL of every kind of
process (each API, each worker with its outbox relay, the scheduler, the gateway), the broker
stopped 60 s, PostgreSQL restarted, the network to payments slowed then cut, every provider
webhook twice and some out of order, billing runs repeated and concurrent. Then the invariants.

Writes bench/results/chaos.json and bench/results/chaos.png (throughput over time, faults shaded).
Settings: CHAOS_FLOWS_PER_SCENARIO [80], CHAOS_CONCURRENCY [8], CHAOS_KAFKA_DOWN [60].
Exit status 1 when an invariant fails.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "faults"))

from chaoskit.invariants import table  # noqa: E402
from chaoskit.runner import Config, Run, write_plot  # noqa: E402
from chaoskit.stack import FaultStack  # noqa: E402

KILLS = (
    "customers-api",
    "orders-api",
    "payments-api",
    "invoicing-api",
    "customers-worker",
    "orders-worker",
    "payments-worker",
    "invoicing-worker",
    "invoicing-scheduler",
    "gateway",
)


def main() -> int:
    cfg = Config(
        flows_per_scenario=int(os.environ.get("CHAOS_FLOWS_PER_SCENARIO", "80")),
        concurrency=int(os.environ.get("CHAOS_CONCURRENCY", "8")),
        pace=float(os.environ.get("CHAOS_PACE", "0.25")),
        pause=5.0,
        kafka_down=float(os.environ.get("CHAOS_KAFKA_DOWN", "60")),
        pg_down=5.0,
        proxy_slow=10.0,
        proxy_cut=10.0,
        request_budget=240.0,
        wait_budget=300.0,
        drain_limit=120.0,
        kills=KILLS,
    )
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stack = FaultStack(root=ROOT / "var" / f"chaos-{int(time.time())}")
    run = Run(stack, cfg, log=lambda m: print(m, flush=True))
    t = time.time()
    try:
        stack.start()
        started = round(time.time() - t, 1)
        print(f"[chaos] stack ready in {started} s", flush=True)
        run.run_all()
        checks, figures = run.check()
        report = run.report(checks, figures)
    finally:
        stack.stop()
    report["stack_start_s"] = started
    (out / "chaos.json").write_text(json.dumps(report, indent=1) + "\n")
    write_plot(report, out / "chaos.png")
    print("\n" + table(checks))
    print(f"\n{report['flows']['completed']}/{report['flows']['total']} flows in {report['duration_s']} s;")
    for s in report["scenarios"]:
        print(f"  {s['name']:<45} {s['completed']:>4}/{s['flows']:<4} drained {s['drain_s']} s  {s['note']}")
    print(f"unplanned restarts: {len(report['unplanned_restarts'])}; results in {out}/chaos.json, chaos.png")
    return 0 if all(c.ok for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
