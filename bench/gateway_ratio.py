"""Gateway overhead: GET /api/v1/Customers/{id} called directly on the customers service, through
our gateway, and through nginx as a plain keep-alive reverse proxy, side by side with wrk.

Rounds are interleaved (direct, gateway, nginx, direct, ...) and medians reported, because on a
2-core machine a single run is noisy. Goal: gateway rps >= 0.7 x nginx rps, added p50 <= 1 ms.
Bounded: ROUNDS x 3 targets x (SHORT + LONG) seconds, about two minutes by default.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from wrk_tools import create_customer, ensure_tools, wrk

from billing_devtools.localstack import ROOT, Platform, Ports, free_port
from billing_devtools.testing import infra

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SHORT = int(os.environ.get("BENCH_SHORT_SECONDS", "4"))  # 1 connection: latency
LONG = int(os.environ.get("BENCH_LONG_SECONDS", "6"))  # 16 connections: throughput
RESULTS = ROOT / "bench" / "results"


class Nginx:
    def __init__(self, upstream: int) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="bench-nginx-")
        Path(self.dir, "nginx.conf").write_text(f"""
worker_processes 1; pid {self.dir}/nginx.pid; error_log {self.dir}/error.log;
events {{ worker_connections 1024; }}
http {{ access_log off;
  upstream svc {{ server 127.0.0.1:{upstream}; keepalive 64; }}
  server {{ listen 127.0.0.1:{self.port};
    location / {{ proxy_pass http://svc; proxy_http_version 1.1; proxy_set_header Connection ""; }} }} }}
""")

    def __enter__(self) -> Nginx:
        subprocess.run(["nginx", "-c", f"{self.dir}/nginx.conf", "-p", self.dir], check=True)
        time.sleep(0.3)
        return self

    def __exit__(self, *_: object) -> None:
        subprocess.run(["nginx", "-c", f"{self.dir}/nginx.conf", "-p", self.dir, "-s", "stop"], check=False)


def plot(summary: dict[str, dict[str, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(summary)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    a.bar(names, [summary[n]["rps"] for n in names], color=["#888", "#2a7", "#27a"])
    a.set_title("throughput, 16 connections (req/s, median)")
    for i, n in enumerate(names):
        a.text(i, summary[n]["rps"], f"{summary[n]['rps']:.0f}", ha="center", va="bottom")
    x = range(len(names))
    b.bar([i - 0.2 for i in x], [summary[n]["p50_1"] for n in names], width=0.4, label="p50, 1 conn")
    b.bar([i + 0.2 for i in x], [summary[n]["p99_16"] for n in names], width=0.4, label="p99, 16 conns")
    b.set_xticks(list(x), names)
    b.set_yscale("log")
    b.set_title("latency (ms, median of rounds)")
    b.legend()
    fig.suptitle("GET /api/v1/Customers/{id}: direct vs our gateway vs nginx")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    ensure_tools()
    kafka, _ = infra.start_kafka(stop_at_exit=True)
    var = Path(tempfile.mkdtemp(prefix="bench-gw-")) / "var"
    platform = Platform(var_dir=var, ports=Ports.free(), kafka_bootstrap=kafka)
    platform.start(timeout=120)
    try:
        token = platform.admin_token()
        cid = create_customer(platform.gateway_url, token)
        path = f"/api/v1/Customers/{cid}"
        with Nginx(platform.ports.services["customers"]) as ng:
            urls = {
                "direct": f"http://127.0.0.1:{platform.ports.services['customers']}{path}",
                "gateway": platform.gateway_url + path,
                "nginx": f"http://127.0.0.1:{ng.port}{path}",
            }
            for url in urls.values():
                wrk(url, token, 4, 2)  # warm up
            rounds: dict[str, list[dict[str, float]]] = {n: [] for n in urls}
            for _ in range(ROUNDS):
                for name, url in urls.items():
                    one, many = wrk(url, token, 1, SHORT), wrk(url, token, 16, LONG)
                    rounds[name].append(
                        {
                            "p50_1": one["p50"],
                            "p99_1": one["p99"],
                            "rps": many["rps"],
                            "p50_16": many["p50"],
                            "p99_16": many["p99"],
                            "errors": one["errors"] + many["errors"],
                        }
                    )
    finally:
        platform.stop()
    summary = {n: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for n, rs in rounds.items()}
    ratio = summary["gateway"]["rps"] / summary["nginx"]["rps"]
    added = summary["gateway"]["p50_1"] - summary["direct"]["p50_1"]
    cols = ("rps", "p50_1", "p99_1", "p50_16", "p99_16", "errors")
    print("\n" + f"{'target':8}" + "".join(f"{c:>9}" for c in cols))
    for n, s in summary.items():
        print(f"{n:8}" + "".join(f"{s[c]:9.0f}" if c in ("rps", "errors") else f"{s[c]:9.2f}" for c in cols))
    print("(rps at 16 connections; latencies in ms at 1 and 16 connections)")
    verdict = "meets" if ratio >= 0.7 and added <= 1.0 else "MISSES"
    print(
        f"\ngateway/nginx throughput = {ratio:.2f} (goal >= 0.70); gateway adds p50 {added:.2f} ms at 1 conn "
        f"(goal <= 1.00); direct/nginx = {summary['direct']['rps'] / summary['nginx']['rps']:.2f} "
        f"-> {verdict} the goal ({ROUNDS} interleaved rounds, medians)"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    doc = {
        "benchmark": "gateway_ratio",
        "when": stamp,
        "cores": os.cpu_count(),
        "rounds": rounds,
        "median": summary,
        "gateway_over_nginx_rps": ratio,
        "gateway_added_p50_ms": added,
    }
    (RESULTS / "gateway_ratio.json").write_text(json.dumps(doc, indent=1))
    plot(summary, RESULTS / "gateway_ratio.png")
    print(f"wrote {RESULTS / 'gateway_ratio.json'} and {RESULTS / 'gateway_ratio.png'}")


if __name__ == "__main__":
    main()
