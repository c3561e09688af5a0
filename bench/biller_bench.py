"""The recurring biller over N due subscriptions on PostgreSQL (default 10,000; goal <= 60 s).

Seeds N monthly subscriptions (two priced lines, VAT, one in ten with a repeating coupon, one
in seven whose customer holds credit that renewals use before charging) in a fresh invoicing
database, then:
1. one run at the first period's end: time and rate; every subscription billed exactly once;
2. the same `asOf` again: bills nothing;
3. two runs at once for the next period: together exactly N renewals, none twice.
It checks the invariants (one invoice and one history row per subscription and period, gapless
numbers, one charge request per invoice with something due, every credit balance the sum of its
movements) and prints them. Bounded by N.
"""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select

from billing_devtools.localstack import ROOT
from billing_devtools.testing import infra
from billing_shared.db.migrate import migrate
from billing_shared.db.uow import Database
from billing_shared.ids import new_id
from billing_shared.pricing import LineInput, TaxRate, price_order
from invoicing.domain import subscriptions
from invoicing.domain.billing_runs import RunReport
from invoicing.service_layer.billing_runs import bill_due
from invoicing.store import tables
from invoicing.store.subscriptions import SubscriptionRepository
from invoicing.store.tables import invoices, subscription_billing_histories

N = int(os.environ.get("BENCH_SUBSCRIPTIONS", "10000"))
GOAL_SECONDS = 60.0


def _order(i: int) -> dict[str, Any]:
    vat = TaxRate("txr_vat", "VAT", Decimal("0.2"), False)
    priced = price_order(
        "EUR", [LineInput("prod_plan", 1, 1999, vat), LineInput("prod_seat", 1 + i % 5, 500, vat)]
    )
    coupon = None
    if i % 10 == 0:
        coupon = {
            "code": "TENOFF",
            "percentOff": "10",
            "amountOff": None,
            "productIds": None,
            "duration": "repeating",
            "durationInCycles": 3,
        }
    return {
        "id": new_id("ord"),
        "customer_id": new_id("cus"),
        "priced": priced.to_dict(),
        "billing_cycle": {"id": "bc_monthly", "intervalUnit": "month", "intervalCount": 1},
        "coupon": coupon,
    }


def open_database(url: str) -> Database:
    return Database(url, tables.metadata, tables.kit_tables, service="invoicing")


CREDIT = 3000  # what one customer in seven holds: about one renewal's worth


def seed(url: str, start: datetime) -> None:
    db = open_database(url)
    rows, balances, movements = [], [], []
    for i in range(N):
        sub, _ = subscriptions.start(
            subscription_id=new_id("sub"),
            order=_order(i),
            gateway_id="test",
            payment_method_token="tok_visa",
            now=start,
        )
        rows.append(SubscriptionRepository._values(sub))
        if i % 7 == 0:
            who = {"customer_id": sub.customer_id, "currency": "EUR"}
            balances.append(who | {"balance": CREDIT, "version": 1, "updated_at": start})
            movements.append(
                who
                | {
                    "id": new_id("cbt"),
                    "amount": CREDIT,
                    "balance_after": CREDIT,
                    "kind": "invoice_credit",
                    "invoice_id": new_id("in"),
                    "subscription_id": sub.id,
                    "created_at": start,
                }
            )
    with db.unit_of_work() as uow:
        for k in range(0, N, 1000):
            uow.session.execute(insert(tables.subscriptions), rows[k : k + 1000])
        uow.session.execute(insert(tables.customer_balances), balances)
        uow.session.execute(insert(tables.customer_balance_transactions), movements)
        uow.commit()
    db.dispose()


def invariants(url: str, periods: int) -> dict[str, Any]:
    db = open_database(url)
    with db.unit_of_work(write=False) as uow:
        s = uow.session
        n_invoices = s.execute(select(func.count()).select_from(invoices)).scalar_one()
        n_pairs = s.execute(
            select(func.count()).select_from(
                select(invoices.c.subscription_id, invoices.c.period_start).distinct().subquery()
            )
        ).scalar_one()
        n_hist = s.execute(select(func.count()).select_from(subscription_billing_histories)).scalar_one()
        numbers = sorted(int(n.rsplit("-", 1)[1]) for n in s.execute(select(invoices.c.number)).scalars())
        outbox = db.kit_tables.outbox
        charges = s.execute(
            select(func.count()).where(outbox.c.type == "billing.InvoicePaymentRequested.v1")
        ).scalar_one()
        due = s.execute(
            select(func.count()).where(invoices.c.total - invoices.c.credit_applied > 0)
        ).scalar_one()
        credit_used = s.execute(select(func.coalesce(func.sum(invoices.c.credit_applied), 0))).scalar_one()
        moved = dict(
            s.execute(
                select(
                    tables.customer_balance_transactions.c.customer_id,
                    func.sum(tables.customer_balance_transactions.c.amount),
                ).group_by(tables.customer_balance_transactions.c.customer_id)
            ).all()
        )
        held = dict(
            s.execute(
                select(tables.customer_balances.c.customer_id, tables.customer_balances.c.balance)
            ).all()
        )
    db.dispose()
    expected = N * periods
    return {
        "invoices": n_invoices,
        "distinct (subscription, period)": n_pairs,
        "history rows": n_hist,
        "charge requests": charges,
        "credit used on invoices": int(credit_used),
        "balances = their movements": held == {k: int(v) for k, v in moved.items()},
        "numbers gapless": numbers == list(range(1, len(numbers) + 1)),
        "exactly once": n_invoices == n_pairs == n_hist == expected and charges == due,
    }


def main() -> None:
    admin, _ = infra.start_postgres(stop_at_exit=True)
    url = infra.create_database(admin, "bench_biller")
    try:
        migrate("invoicing", url)
        start = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
        t0 = time.perf_counter()
        seed(url, start)
        seeded = time.perf_counter() - t0
        db = open_database(url)
        end1 = start + timedelta(days=31)
        t0 = time.perf_counter()
        first = bill_due(db, end1, datetime.now(UTC))
        elapsed = time.perf_counter() - t0
        again = bill_due(db, end1, datetime.now(UTC))
        end2 = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
        reports: list[RunReport] = []
        threads = [
            threading.Thread(target=lambda: reports.append(bill_due(db, end2, datetime.now(UTC))))
            for _ in range(2)
        ]
        t1 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        concurrent = time.perf_counter() - t1
        db.dispose()
        checks = invariants(url, periods=2)
    finally:
        infra.drop_database(admin, url)
    rate = first.invoiced / elapsed
    print(f"\nrecurring biller, {N} due monthly subscriptions on PostgreSQL (seeded in {seeded:.1f} s)")
    print(f"run 1 (asOf {end1.date()}): {first.invoiced} invoiced in {elapsed:.1f} s = {rate:.0f} per s")
    print(f"run 1 again (same asOf): {again.invoiced} invoiced")
    print(
        f"two concurrent runs (asOf {end2.date()}): {[r.invoiced for r in reports]} invoiced, "
        f"{[r.skipped for r in reports]} skipped (held by the other run), in {concurrent:.1f} s"
    )
    for k, v in checks.items():
        print(f"  {k:32} {v}")
    print(f"goal <= {GOAL_SECONDS:.0f} s for {N}: {'met' if elapsed <= GOAL_SECONDS else 'MISSED'}")
    out = ROOT / "bench" / "results" / "biller.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "biller",
                "subscriptions": N,
                "seconds": round(elapsed, 2),
                "per_second": round(rate, 1),
                "repeat_invoiced": again.invoiced,
                "concurrent_invoiced": [r.invoiced for r in reports],
                "concurrent_seconds": round(concurrent, 2),
                "invariants": checks,
            },
            indent=1,
        )
    )
    print(f"wrote {out}")
    if (
        not checks["exactly once"]
        or not checks["numbers gapless"]
        or again.invoiced
        or not checks["balances = their movements"]
    ):
        raise SystemExit("exactly-once invariant broken")


if __name__ == "__main__":
    main()
