"""Pricing speed: one 1,000-line order through `price_order`, N times (default 200).

The order mixes exclusive and inclusive tax rules, untaxed lines and lines the coupon excludes, under
a 12.5 % coupon: every branch of the rule runs. Prints median / p90 / max in milliseconds against the
goal (<= 20 ms per order on the 2-core machine), and, for information, the JSON round trip that orders
and invoicing do with the result. Writes bench/results/pricing.json. Pure CPU: no services needed.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from billing_shared.pricing import CouponInput, LineInput, PricedOrder, TaxRate, price_order

RUNS = int(os.environ.get("BENCH_PRICING_RUNS", "200"))
LINES = 1000
GOAL_MS = 20.0
OUT = Path(__file__).resolve().parent / "results" / "pricing.json"

RATES: list[TaxRate | None] = [
    TaxRate("tr_gb_vat", "VAT", Decimal("0.2"), inclusive=False),
    TaxRate("tr_de_mwst", "MwSt", Decimal("0.19"), inclusive=True),
    TaxRate("tr_us_ca", "CA sales tax", Decimal("0.0725"), inclusive=False),
    TaxRate("tr_de_food", "MwSt (reduced)", Decimal("0.07"), inclusive=True),
    None,
]


def order_lines() -> list[LineInput]:
    """1,000 lines: five tax treatments in turn, varied prices and quantities, every 7th not discountable."""
    return [
        LineInput(
            product_id=f"prod_{i:04d}",
            quantity=1 + (i * 7) % 13,
            unit_price=99 + (i * 7919) % 250_000,
            tax=RATES[i % len(RATES)],
            discountable=i % 7 != 0,
        )
        for i in range(LINES)
    ]


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    for _ in range(5):  # warm-up: caches, the allocator
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "runs": len(samples),
        "median_ms": round(statistics.median(samples), 3),
        "p90_ms": round(statistics.quantiles(samples, n=10)[8], 3),
        "max_ms": round(max(samples), 3),
    }


def main() -> None:
    lines = order_lines()
    coupon = CouponInput("BENCH", percent_off=Decimal("12.5"))
    priced = price_order("EUR", lines, coupon)
    assert priced.total == sum(p.total for p in priced.lines)  # a benchmark of a wrong answer is no use
    data = priced.to_dict()
    encoded = json.dumps(data)

    results = {
        "price_order": summary(timed(lambda: price_order("EUR", lines, coupon), RUNS)),
        "to_dict+json.dumps": summary(timed(lambda: json.dumps(priced.to_dict()), RUNS)),
        "json.loads+from_dict": summary(timed(lambda: PricedOrder.from_dict(json.loads(encoded)), RUNS)),
    }
    met = results["price_order"]["p90_ms"] <= GOAL_MS and results["price_order"]["median_ms"] <= GOAL_MS

    print(f"\npricing a {LINES}-line order ({len(priced.trace)} trace steps), {RUNS} runs (ms)")
    print(f"{'':22} {'median':>7} {'p90':>7} {'max':>7}")
    for name, r in results.items():
        print(f"{name:22} {r['median_ms']:7.2f} {r['p90_ms']:7.2f} {r['max_ms']:7.2f}")
    print(f"goal price_order <= {GOAL_MS:.0f} ms (median and p90): {'met' if met else 'MISSED'}")

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "benchmark": "pricing",
                "lines": LINES,
                "trace_steps": len(priced.trace),
                "goal_ms": GOAL_MS,
                "goal_met": met,
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "results": results,
            },
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
