"""schemathesis over the gateway's aggregated OpenAPI document (GET /api/v1/openapi.json), as one
helper both the bounded run in `make test` and the long `make fuzz` use: the `st` CLI with a valid
admin token, its NDJSON event stream read back into a summary (operations, cases, failures by
check and operation) written beside the raw reports."""

from __future__ import annotations

import collections
import json
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# What a run checks: no 5xx, the status, content type and body each documented for the operation.
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
# The token endpoint has its own rate limit (and its own tests): fuzzing it only measures the limit.
ALWAYS_EXCLUDED = ["/api/v1/Auth/token"]
# Operations that change what every other test on a shared platform relies on (a gateway switched
# off, USD disabled, every due subscription billed as of a random date, a tax rule for any
# country). The bounded run shares the test session's platform, so it leaves them out; `make fuzz`
# runs on a platform of its own and fuzzes them too.
PLATFORM_WIDE = [
    ("PATCH", "/api/v1/PaymentGateways/{gateway_id}"),
    ("PATCH", "/api/v1/Currencies/{code}"),
    ("POST", "/api/v1/SubscriptionBillingRuns"),
    ("POST", "/api/v1/TaxRules"),
]


@dataclass
class Summary:
    seconds: float
    exit_code: int
    operations: int = 0
    cases: int = 0
    failures: dict[str, dict[str, int]] = field(default_factory=dict)  # check -> operation -> count
    examples: dict[str, str] = field(default_factory=dict)  # "check operation" -> first message
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__ | {"failureCount": sum(sum(v.values()) for v in self.failures.values())}


def run(
    gateway_url: str,
    token: str,
    out: Path,
    *,
    max_examples: int,
    phases: str = "examples,coverage,fuzzing",
    checks: str = CHECKS,
    exclude: list[tuple[str, str]] | None = None,
    seed: int | None = None,
    workers: int = 1,
    max_time: float | None = None,
    timeout: float = 1800,
) -> Summary:
    out.mkdir(parents=True, exist_ok=True)
    schema = out / "openapi.json"
    schema.write_text(json.dumps(document(gateway_url)))
    st = Path(sys.executable).parent / "st"
    argv = [
        str(st),
        "run",
        str(schema),
        "--url",
        gateway_url,
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(max_examples),
        "--phases",
        phases,
        "--checks",
        checks,
        "--workers",
        str(workers),
        "--request-timeout",
        "30",
        "--continue-on-failure",
        "--no-shrink",
        "--no-color",
        "--report",
        "ndjson,junit",
        "--report-dir",
        str(out),
        "--report-ndjson-path",
        str(out / "events.ndjson"),
        "--report-junit-path",
        str(out / "junit.xml"),
    ]
    # Left out by filter, not by deleting them from the document: deleted, their methods would look
    # unsupported, and schemathesis would expect a 405 from them.
    for method, path in exclude or []:
        argv += ["--exclude-name", f"{method.upper()} {path}"]
    # No seed: deterministic, the same cases every run (CI is repeatable). A seed: random cases
    # from it (a long run explores anew each time and prints its seed to replay it).
    if seed is None:
        argv += ["--generation-deterministic"]
    else:
        argv += ["--seed", str(seed), "--generation-database", "none"]
    if max_time:
        argv += ["--max-time", str(int(max_time))]
    started = time.monotonic()
    with open(out / "console.log", "wb") as console:
        # In the output dir: schemathesis keeps its crash cache (.schemathesis/) where it runs.
        proc = subprocess.run(
            argv, cwd=out, stdout=console, stderr=subprocess.STDOUT, timeout=timeout, check=False
        )
    summary = read_events(out / "events.ndjson", time.monotonic() - started, proc.returncode)
    (out / "summary.json").write_text(json.dumps(summary.to_dict(), indent=2, sort_keys=True))
    return summary


def document(gateway_url: str) -> dict[str, Any]:
    """The gateway's document as served, less the paths never fuzzed."""
    with urllib.request.urlopen(f"{gateway_url}/api/v1/openapi.json", timeout=30) as r:
        doc: dict[str, Any] = json.loads(r.read())
    left_out = {(m, p) for p in ALWAYS_EXCLUDED for m in ("get", "post", "put", "patch", "delete")}
    for path, item in list(doc["paths"].items()):
        for method in list(item):
            if (method, path) in left_out:
                del item[method]
        if not any(m in item for m in ("get", "post", "put", "patch", "delete", "head")):
            del doc["paths"][path]
    return doc


def read_events(path: Path, seconds: float, exit_code: int) -> Summary:
    s = Summary(seconds=round(seconds, 1), exit_code=exit_code)
    failures: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    operations: set[str] = set()
    if not path.exists():
        s.errors.append(f"no event stream at {path}")
        return s
    for line in path.read_text().splitlines():
        event = json.loads(line)
        if "ScenarioFinished" in event:
            finished = event["ScenarioFinished"]
            recorder = finished.get("recorder") or {}
            label = str(recorder.get("label", "?"))
            operations.add(label)
            s.cases += len(recorder.get("cases") or {})
            for checks in (recorder.get("checks") or {}).values():
                for check in checks:
                    if str(check.get("status", "")).lower() in ("success", "skip", "skipped"):
                        continue
                    failures[check["name"]][label] += 1
                    info = (check.get("failure_info") or {}).get("failure") or {}
                    s.examples.setdefault(f"{check['name']} {label}", str(info.get("message", ""))[:600])
        elif "NonFatalError" in event or "FatalError" in event:
            err = event.get("NonFatalError") or event.get("FatalError") or {}
            s.errors.append(json.dumps(err)[:600])
    s.operations = len(operations)
    s.failures = {check: dict(ops) for check, ops in failures.items()}
    return s
