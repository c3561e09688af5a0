"""`make fuzz`: the long schemathesis run, on a platform of its own (PostgreSQL and Kafka as the
tests find them: TEST_POSTGRES_URL / TEST_KAFKA_BOOTSTRAP or the local test instances), with every
operation (the platform-wide ones too), more examples, every phase (stateful included) and every
check schemathesis has. Writes var/fuzz/<UTC time>/ (summary.json, junit.xml, events.ndjson,
console.log) and prints the summary; exit 1 when anything failed.

    make fuzz                          # FUZZ_EXAMPLES=100 FUZZ_MAX_TIME=1800 by default
    FUZZ_EXAMPLES=500 make fuzz
    FUZZ_SEED=1234 make fuzz           # replay a run (its seed is printed and in summary.json)
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path

from billing_devtools.localstack import ROOT, Platform, Ports
from billing_devtools.testing import infra
from billing_shared.kafka.topics import ensure_topics

sys.path.insert(0, str(Path(__file__).parent))
from fuzzing import run


def main() -> int:
    examples = int(os.environ.get("FUZZ_EXAMPLES", "100"))
    seed = int(os.environ.get("FUZZ_SEED") or random.SystemRandom().randrange(1, 2**31))
    max_time = float(os.environ.get("FUZZ_MAX_TIME", "1800"))
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    out = ROOT / "var" / "fuzz" / stamp
    admin_url, _ = infra.start_postgres(stop_at_exit=True)
    bootstrap, _ = infra.start_kafka(stop_at_exit=True)
    ensure_topics(bootstrap, partitions=3, timeout=120)
    urls = {
        name: infra.create_database(admin_url, f"fuzz_{name}")
        for name in ("customers", "orders", "payments", "invoicing", "gateway")
    }
    platform = Platform(
        var_dir=out / "platform", ports=Ports.free(), kafka_bootstrap=bootstrap, database_urls=urls
    )
    try:
        platform.start(timeout=180)
        print(f"platform ready at {platform.gateway_url}; {examples} examples per operation, seed {seed}")
        summary = run(
            platform.gateway_url,
            platform.admin_token(),
            out,
            max_examples=examples,
            phases="examples,coverage,fuzzing,stateful",
            checks="all",
            max_time=max_time,
            seed=seed,
            # One worker: with two, CPython 3.11 sometimes fails schemathesis' own code generation
            # ("AST constructor recursion depth mismatch"), a tool error that costs operations.
            workers=1,
            timeout=max_time + 600,
        )
    finally:
        platform.stop()
        for url in urls.values():
            infra.drop_database(admin_url, url)
    report = summary.to_dict() | {"seed": seed, "examplesPerOperation": examples}
    (out / "summary.json").write_text(json.dumps(report, indent=2, sort_keys=True))
    print(json.dumps(report, indent=2))
    print(f"reports in {out}")
    return 1 if summary.failures or summary.exit_code not in (0, 1) else 0


if __name__ == "__main__":
    sys.exit(main())
