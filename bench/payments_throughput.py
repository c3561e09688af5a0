"""POST /PaymentIntents as clients load it: through the gateway, on PostgreSQL and the real broker,
with the built-in test gateway as the provider (a real HTTP call per intent), at 1 and 16
connections.

One order holds at most one live intent, so every request pays a different order: the orders are
created first, and wrk's script hands each request the next one (tok_visa, the order's exact
amount, an Idempotency-Key of its own, as a careful client sends). Each request therefore runs the
whole path: key claim, order checks, intent row, test gateway charge, answer applied with its events.
Prints req/s, p50 and p99; writes bench/results/payments_throughput.json.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from wrk_tools import create_customer, ensure_tools, post, wrk

from billing_devtools.localstack import ROOT, Platform, Ports
from billing_devtools.testing import infra

SECONDS = int(os.environ.get("BENCH_SECONDS", "6"))
# Orders to pay: more than the runs can use (at 100 intents/s, the three runs use about 1,400).
ORDERS = int(os.environ.get("BENCH_PAYMENT_ORDERS", "2000"))


def pay_script(bodies: list[dict[str, Any]], keys: list[str]) -> str:
    """A wrk Lua script that POSTs each body once, in turn, with its own Idempotency-Key."""
    path = Path(tempfile.mkdtemp(prefix="bench-wrk-")) / "pay.lua"
    lines = ["local bodies = {"] + [f"  {json.dumps(json.dumps(b))}," for b in bodies] + ["}"]
    lines += ["local keys = {"] + [f'  "{k}",' for k in keys] + ["}"]
    lines += [
        "local i = 0",
        "request = function()",
        "  i = i + 1",
        "  local headers = {}",  # wrk.format's headers replace wrk.headers (the -H bearer token)
        "  for k, v in pairs(wrk.headers) do headers[k] = v end",
        '  headers["Content-Type"] = "application/json"',
        "  if i > #bodies then",  # out of orders: an empty body, a 422 that wrk counts as an error
        '    return wrk.format("POST", nil, headers, "{}")',
        "  end",
        '  headers["Idempotency-Key"] = keys[i]',
        '  return wrk.format("POST", nil, headers, bodies[i])',
        "end",
    ]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def make_orders(gw: str, token: str, count: int) -> list[dict[str, Any]]:
    product = post(
        gw,
        token,
        "/Products",
        {"name": "Bench plan", "taxCategory": "standard", "prices": [{"currency": "EUR", "unitPrice": 1999}]},
    )
    cid = create_customer(gw, token)
    body = {"customerId": cid, "currency": "EUR", "items": [{"productId": product["id"], "quantity": 1}]}
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda _: post(gw, token, "/Orders", body), range(count)))


def main() -> None:
    ensure_tools()
    kafka, _ = infra.start_kafka(stop_at_exit=True)
    admin, _ = infra.start_postgres(stop_at_exit=True)
    urls = {
        name: infra.create_database(admin, f"bench_pay_{name}")
        for name in ("customers", "orders", "payments", "gateway")
    }
    var = Path(tempfile.mkdtemp(prefix="bench-payments-")) / "var"
    platform = Platform(var_dir=var, ports=Ports.free(), kafka_bootstrap=kafka, database_urls=urls)
    results: dict[str, dict[str, float]] = {}
    try:
        platform.start(timeout=120)
        gw, token = platform.gateway_url, platform.admin_token()
        started = time.monotonic()
        orders = make_orders(gw, token, ORDERS)
        print(f"{len(orders)} orders created in {time.monotonic() - started:.1f} s")
        time.sleep(3)  # OrderCreated reaches payments' projection in milliseconds; leave it no doubt
        url = f"{gw}/api/v1/PaymentIntents"
        offset = 0
        for name, conns, seconds in (("warmup", 2, 2), ("c1", 1, SECONDS), ("c16", 16, SECONDS)):
            batch = orders[offset:]
            if not batch:
                raise RuntimeError("out of orders to pay; raise BENCH_PAYMENT_ORDERS")
            bodies = [
                {
                    "orderId": o["id"],
                    "amount": o["total"],
                    "currency": o["currency"],
                    "paymentMethodToken": "tok_visa",
                }
                for o in batch
            ]
            run = wrk(url, token, conns, seconds, pay_script(bodies, [f"bench-{o['id']}" for o in batch]))
            print(f"{name} ({conns} connections): {run}", flush=True)
            offset += int(run["rps"] * seconds * 1.2) + conns  # skip past every order this run could use
            if name != "warmup":
                results[name] = run
    finally:
        platform.stop()
        for db_url in urls.values():
            infra.drop_database(admin, db_url)
    print(
        f"\nPOST /PaymentIntents through the gateway (test gateway charges), PostgreSQL, {SECONDS} s per run"
    )
    print(f"{'conns':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for c, r in results.items():
        print(f"{c[1:]:>5} {r['rps']:8.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['errors']:7.0f}")
    out = ROOT / "bench" / "results" / "payments_throughput.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "payments_throughput",
                "seconds": SECONDS,
                "results": {"POST /PaymentIntents": results},
            },
            indent=1,
        )
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
