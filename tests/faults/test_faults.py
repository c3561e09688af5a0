"""The reduced fault suite of `make test`: the whole platform as real processes on a Kafka broker
and a PostgreSQL cluster of its own; 11 complete flows under each of ten faults (SIGKILL of an API,
a worker with its relay, the scheduler and the gateway; Kafka stopped 10 s; PostgreSQL restarted;
the network to payments slowed then cut; every webhook twice and some out of order), then billing
runs repeated and concurrent; then every invariant of docs/reliability.md, printed as a table.
`make chaos` is the long version (bench/chaos.py)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from chaoskit.invariants import table
from chaoskit.runner import Config, Run
from chaoskit.stack import FaultStack

from billing_devtools.localstack import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.stack, pytest.mark.timeout(600)]


def test_faults_under_load_keep_every_invariant(tmp_path: Path) -> None:
    stack = FaultStack(root=ROOT / "var" / f"faults-{int(time.time())}")
    run = Run(stack, Config())
    keep = True  # the logs and data stay under var/faults-* when the run fails
    try:
        stack.start()
        run.run_all()
        checks, figures = run.check()
        report = run.report(checks, figures)
        keep = not all(c.ok for c in checks)
    except BaseException:
        for name in ("payments-api", "invoicing-worker", "gateway"):
            print(f"--- {name}\n{stack.log_tail(name)}")
        raise
    finally:
        stack.stop(keep=keep)
    print("\n" + table(checks))
    for sc in report["scenarios"]:
        print(f"  {sc['name']:<45} {sc['completed']:>3}/{sc['flows']:<3} drained {sc['drain_s']} s")
    print(f"{report['flows']['completed']}/{report['flows']['total']} flows in {report['duration_s']} s")
    (tmp_path / "faults.json").write_text(json.dumps(report, indent=1))
    assert report["flows"]["total"] >= 100
    failed = [c for c in checks if not c.ok]
    assert not failed, "\n" + table(checks) + "\nunplanned restarts: " + str(report["unplanned_restarts"])
