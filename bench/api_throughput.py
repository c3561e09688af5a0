"""The API as clients load it, through the gateway on PostgreSQL and the real broker: GET and POST
/Customers and POST /Orders (priced with a tax rule and a coupon), at 1 and 16 connections.

Each request is a new one (no Idempotency-Key), so every POST /Orders prices, stores and emits.
Bounded: targets x 2 runs x SECONDS. Prints req/s, p50 and p99, writes bench/results/api_throughput.json.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from wrk_tools import create_customer, ensure_tools, post, post_script, wrk

from billing_devtools.localstack import ROOT, Platform, Ports
from billing_devtools.testing import infra

SECONDS = int(os.environ.get("BENCH_SECONDS", "6"))


def main() -> None:
    ensure_tools()
    kafka, _ = infra.start_kafka(stop_at_exit=True)
    admin, _ = infra.start_postgres(stop_at_exit=True)
    urls = {
        name: infra.create_database(admin, f"bench_{name}")
        for name in ("customers", "orders", "payments", "gateway")
    }
    var = Path(tempfile.mkdtemp(prefix="bench-api-")) / "var"
    platform = Platform(var_dir=var, ports=Ports.free(), kafka_bootstrap=kafka, database_urls=urls)
    results: dict[str, dict[str, dict[str, float]]] = {}
    try:
        platform.start(timeout=120)
        gw, token = platform.gateway_url, platform.admin_token()
        post(gw, token, "/TaxRules", {"name": "VAT", "country": "DE", "rate": "0.19"})
        product = post(
            gw,
            token,
            "/Products",
            {"name": "Bench", "taxCategory": "standard", "prices": [{"currency": "EUR", "unitPrice": 1999}]},
        )
        post(gw, token, "/Coupons", {"code": "BENCH10", "percentOff": "10"})
        cid = create_customer(gw, token, billingAddress={"country": "DE", "city": "Berlin"})
        order = {
            "customerId": cid,
            "currency": "EUR",
            "couponCode": "BENCH10",
            "items": [{"productId": product["id"], "quantity": 3}],
        }
        targets = {
            "GET /Customers/{id}": (f"{gw}/api/v1/Customers/{cid}", None),
            "POST /Customers": (
                f"{gw}/api/v1/Customers",
                post_script({"name": "Load", "email": "load@example.com"}),
            ),
            "POST /Orders": (f"{gw}/api/v1/Orders", post_script(order)),
        }
        for name, (url, script) in targets.items():
            wrk(url, token, 2, 2, script)  # warm up
            results[name] = {f"c{c}": wrk(url, token, c, SECONDS, script) for c in (1, 16)}
    finally:
        platform.stop()
        for url in urls.values():
            infra.drop_database(admin, url)
    print(f"\nthrough the gateway, PostgreSQL, {SECONDS} s per run")
    print(f"{'request':22} {'conns':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, runs in results.items():
        for c, r in runs.items():
            print(f"{name:22} {c[1:]:>5} {r['rps']:8.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['errors']:7.0f}")
    out = ROOT / "bench" / "results" / "api_throughput.json"
    out.write_text(
        json.dumps({"benchmark": "api_throughput", "seconds": SECONDS, "results": results}, indent=1)
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
