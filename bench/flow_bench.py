"""Complete flows per second through the gateway on PostgreSQL and the real broker.

A flow: POST /Orders (priced, taxed) -> POST /PaymentIntents with tok_visa (charged at the test
gateway) -> the order's invoice finalized and paid by events. Phases, each bounded in time:
1. peak: 16 clients as fast as they go for SECONDS; flows/s counted until the last paid invoice;
2. half the peak rate, paced: the event lag PaymentSucceeded -> InvoiceFinalized (from the
   events' own times on Kafka) at p50 / p99 (goal p99 <= 250 ms);
plus the latency of each step (p50, p99) and the RSS of every process at rest and under load
(goal <= 120 MB per Python process). Writes bench/results/flow.json. Goal: >= 100 flows/s.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from billing_devtools.localstack import ROOT, Platform, Ports
from billing_devtools.testing import infra
from billing_devtools.testing.kafka import TopicTail

SECONDS = float(os.environ.get("BENCH_FLOW_SECONDS", "15"))
CLIENTS = 16


def rss_mb(pid: int) -> float:
    """The largest resident memory among a process and its children (gunicorn's workers), in MB:
    the goal is per Python process."""
    largest = 0.0
    for p in [pid, *children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    largest = max(largest, int(line.split()[1]) / 1024)
        except OSError:
            pass
    return largest


def children(pid: int) -> list[int]:
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(k) for k in kids] + [g for k in kids for g in children(int(k))]


def memory(platform: Platform) -> dict[str, float]:
    return {p.name: round(rss_mb(p.popen.pid), 1) for p in platform.procs if p.popen is not None}


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100)[q - 1]


class Shop:
    def __init__(self, gw: str, token: str) -> None:
        self.gw, self.s = gw + "/api/v1", requests.Session()
        self.s.headers["Authorization"] = f"Bearer {token}"
        self.post("/TaxRules", {"name": "VAT", "country": "DE", "rate": "0.19"})
        self.product = self.post(
            "/Products",
            {"name": "Bench", "taxCategory": "standard", "prices": [{"currency": "EUR", "unitPrice": 1999}]},
        )["id"]

    def post(
        self, path: str, body: dict[str, Any], session: requests.Session | None = None
    ) -> dict[str, Any]:
        r = (session or self.s).post(
            self.gw + path, json=body, headers={"Idempotency-Key": str(uuid.uuid4())}, timeout=30
        )
        if r.status_code not in (200, 201):
            raise RuntimeError(f"POST {path}: {r.status_code} {r.text[:200]}")
        data: dict[str, Any] = r.json()
        return data

    def customer(self) -> str:
        body = {
            "name": "Load",
            "email": f"l.{uuid.uuid4().hex[:8]}@example.com",
            "billingAddress": {"country": "DE"},
        }
        return str(self.post("/Customers", body)["id"])


def drive(shop: Shop, customers: list[str], seconds: float, pace: float | None) -> dict[str, Any]:
    """Clients run flows until `seconds` pass; `pace`: flows per second in all (None: flat out)."""
    steps: dict[str, list[float]] = {"POST /Orders": [], "POST /PaymentIntents": []}
    orders: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(cid: str, offset: float) -> None:
        s = requests.Session()
        s.headers.update(shop.s.headers)
        nxt = time.monotonic() + offset
        while time.monotonic() < stop:
            if pace:
                time.sleep(max(0.0, nxt - time.monotonic()))
                nxt += len(customers) / pace
            try:
                t0 = time.perf_counter()
                order = shop.post(
                    "/Orders",
                    {
                        "customerId": cid,
                        "currency": "EUR",
                        "items": [{"productId": shop.product, "quantity": 1}],
                    },
                    s,
                )
                t1 = time.perf_counter()
                shop.post(
                    "/PaymentIntents",
                    {
                        "orderId": order["id"],
                        "amount": order["total"],
                        "currency": "EUR",
                        "paymentMethodToken": "tok_visa",
                    },
                    s,
                )
                t2 = time.perf_counter()
            except Exception as exc:  # counted, and the run goes on
                with lock:
                    errors.append(str(exc)[:120])
                continue
            with lock:
                steps["POST /Orders"].append((t1 - t0) * 1000)
                steps["POST /PaymentIntents"].append((t2 - t1) * 1000)
                orders.append(order["id"])

    threads = [
        threading.Thread(target=client, args=(c, i * (len(customers) / pace if pace else 0) / len(customers)))
        for i, c in enumerate(customers)
    ]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"orders": orders, "steps": steps, "errors": errors, "load_s": time.monotonic() - t0}


def lags(payments: TopicTail, invoices: TopicTail, orders: set[str], timeout: float) -> list[float]:
    """PaymentSucceeded -> InvoiceFinalized per order, in ms, from the events' own times."""
    paid: dict[str, datetime] = {}
    finalized: dict[str, datetime] = {}
    deadline = time.monotonic() + timeout
    while (len(finalized) < len(orders) or len(paid) < len(orders)) and time.monotonic() < deadline:
        for tail, names, into in (
            (payments, "PaymentSucceeded", paid),
            (invoices, "InvoiceFinalized", finalized),
        ):
            for records in tail.consumer.poll(timeout_ms=100).values():
                for r in records:
                    h = {k: v.decode() for k, v in r.headers}
                    if names in h.get("ce_type", ""):
                        data = json.loads(r.value)
                        if data.get("orderId") in orders:
                            into[data["orderId"]] = datetime.fromisoformat(
                                h["ce_time"].replace("Z", "+00:00")
                            )
    return [(finalized[o] - paid[o]).total_seconds() * 1000 for o in orders if o in paid and o in finalized]


def main() -> None:
    kafka, _ = infra.start_kafka(stop_at_exit=True)
    admin, _ = infra.start_postgres(stop_at_exit=True)
    urls = {
        n: infra.create_database(admin, f"bench_{n}")
        for n in ("customers", "orders", "payments", "invoicing", "gateway")
    }
    var = Path(tempfile.mkdtemp(prefix="bench-flow-")) / "var"
    platform = Platform(var_dir=var, ports=Ports.free(), kafka_bootstrap=kafka, database_urls=urls)
    result: dict[str, Any] = {"benchmark": "flow", "seconds": SECONDS, "clients": CLIENTS}
    try:
        platform.start(timeout=180)
        shop = Shop(platform.gateway_url, platform.admin_token())
        customers = [shop.customer() for _ in range(CLIENTS)]
        drive(shop, customers, 3, None)  # warm-up: connections, caches, consumer groups
        time.sleep(3)
        result["rss_rest_mb"] = memory(platform)
        sampled: dict[str, float] = {}
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.is_set():
                for k, v in memory(platform).items():
                    sampled[k] = max(sampled.get(k, 0.0), v)
                time.sleep(1)

        threading.Thread(target=sample, daemon=True).start()
        payments, invoices = TopicTail(kafka, "billing.payments"), TopicTail(kafka, "billing.invoices")
        t0 = time.monotonic()
        peak = drive(shop, customers, SECONDS, None)
        lag_peak = lags(payments, invoices, set(peak["orders"]), timeout=120)
        done_s = time.monotonic() - t0
        sampling.set()
        rate = len(lag_peak) / done_s
        result["peak"] = {
            "flows": len(peak["orders"]),
            "finalized": len(lag_peak),
            "seconds_to_last_invoice": round(done_s, 1),
            "flows_per_s": round(rate, 1),
            "errors": len(peak["errors"]),
            "steps_ms": {
                k: {"p50": round(pct(v, 50), 1), "p99": round(pct(v, 99), 1)}
                for k, v in peak["steps"].items()
            },
            "lag_ms": {"p50": round(pct(lag_peak, 50), 1), "p99": round(pct(lag_peak, 99), 1)},
        }
        result["rss_load_mb"] = sampled
        half = drive(shop, customers, SECONDS, max(rate / 2, 1.0))
        lag_half = lags(payments, invoices, set(half["orders"]), timeout=120)
        result["half_rate"] = {
            "flows_per_s": round(len(half["orders"]) / half["load_s"], 1),
            "lag_ms": {"p50": round(pct(lag_half, 50), 1), "p99": round(pct(lag_half, 99), 1)},
            "errors": len(half["errors"]),
        }
        payments.close()
        invoices.close()
    finally:
        platform.stop()
        for url in urls.values():
            infra.drop_database(admin, url)
    p = result["peak"]
    print(f"\ncomplete flows through the gateway (PostgreSQL, Kafka), {CLIENTS} clients, {SECONDS:.0f} s")
    print(
        f"peak: {p['flows']} flows, last invoice after {p['seconds_to_last_invoice']} s"
        f" = {p['flows_per_s']} flows/s (goal >= 100)"
    )
    for step, v in p["steps_ms"].items():
        print(f"  {step:24} p50 {v['p50']:7.1f} ms   p99 {v['p99']:7.1f} ms")
    print(
        f"  PaymentSucceeded -> InvoiceFinalized at peak: p50 {p['lag_ms']['p50']} ms,"
        f" p99 {p['lag_ms']['p99']} ms"
    )
    h = result["half_rate"]
    print(
        f"half rate ({h['flows_per_s']} flows/s): lag p50 {h['lag_ms']['p50']} ms,"
        f" p99 {h['lag_ms']['p99']} ms (goal p99 <= 250)"
    )
    print("RSS MB (rest -> peak under load; goal <= 120 per Python process):")
    for name, rest in result["rss_rest_mb"].items():
        print(f"  {name:22} {rest:7.1f} -> {result['rss_load_mb'].get(name, rest):7.1f}")
    out = ROOT / "bench" / "results" / "flow.json"
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
