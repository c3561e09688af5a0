"""The invariants, read back from where the truth is: each service's database, the test PSP's
store, and the topics on the broker. Each check gives (name, ok, measured, detail)."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import psycopg
from kafka import KafkaConsumer, TopicPartition

from billing_shared.events import catalog

NUMBER = re.compile(r"^(.*)-(\d{4})-(\d+)$")
# within one aggregate (one Kafka key) these types must appear in this order, each after the former
ORDERS = [
    ("CustomerCreated",),
    ("OrderCreated", "OrderPaid"),
    ("PaymentIntentCreated", "PaymentSucceeded"),
    ("InvoiceCreated", "InvoiceFinalized", "InvoicePaid"),
    ("InvoiceFinalized", "InvoiceSent"),  # mailed when finalized: before or after it is paid
    ("SubscriptionCreated", "SubscriptionRenewed"),
]
GROUPS = ("customers", "orders", "payments", "invoicing")


@dataclass
class Check:
    name: str
    ok: bool
    measured: str
    detail: str = ""


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def query(url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(_dsn(url), connect_timeout=5) as conn:
        return list(conn.execute(sql, args).fetchall())


def unsent(urls: dict[str, str]) -> int:
    return sum(int(query(urls[s], "SELECT count(*) FROM outbox WHERE sent_at IS NULL")[0][0]) for s in GROUPS)


def consumer_lag(bootstrap: str) -> int:
    """Records not yet committed by the services' consumer groups, on every topic a group has
    committed on at least once (a topic it never read is not its to read)."""
    total = 0
    for group in GROUPS:
        c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
        try:
            for topic in catalog.AGGREGATE_TOPICS:
                tps = [TopicPartition(topic, p) for p in c.partitions_for_topic(topic) or set()]
                committed = {tp: c.committed(tp) for tp in tps}
                if all(v is None for v in committed.values()):
                    continue
                for tp, end in c.end_offsets(tps).items():
                    total += max(0, end - (committed[tp] or 0))
        finally:
            c.close()
    return total


def read_topics(bootstrap: str) -> list[tuple[str, int, int, str, str, str]]:
    """(topic, partition, offset, key, ce_id, ce_type) for every record of the platform's topics
    and their dead-letter topics."""
    c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    out = []
    try:
        tps = [TopicPartition(t, p) for t in catalog.all_topics() for p in c.partitions_for_topic(t) or set()]
        c.assign(tps)
        c.seek_to_beginning(*tps)
        ends = c.end_offsets(tps)
        left = {tp for tp, end in ends.items() if end > 0}
        while left:
            batch = c.poll(timeout_ms=2000, max_records=5000)
            if not batch:
                left = {tp for tp in left if c.position(tp) < ends[tp]}
                if left:
                    continue
            for tp, recs in batch.items():
                for r in recs:
                    h = {k: v.decode() for k, v in r.headers or []}
                    out.append(
                        (
                            tp.topic,
                            tp.partition,
                            r.offset,
                            (r.key or b"").decode(),
                            h.get("ce_id", ""),
                            h.get("ce_type", ""),
                        )
                    )
                if c.position(tp) >= ends[tp]:
                    left.discard(tp)
    finally:
        c.close()
    return out


def _name(ce_type: str) -> str:
    # billing.InvoicePaid.v2 -> InvoicePaid
    parts = ce_type.split(".")
    return parts[1] if len(parts) >= 3 else ce_type


def _automatic_mail(invoicing: str, mailbox: Path, windows: list[Any], wait: float = 30.0) -> Check:
    """Every automatic mail queued was delivered to the mail sink, none twice. A SIGKILL of the
    invoicing worker after the server took a mail and before it was marked sent sends that one
    mail again with the same Message-ID (SMTP cannot do better): at most one copy per such kill."""
    deadline = time.time() + wait
    while (
        pending := int(query(invoicing, "SELECT count(*) FROM outgoing_mail WHERE status <> 'sent'")[0][0])
    ) and (time.time() < deadline):
        time.sleep(1.0)
    queued = int(query(invoicing, "SELECT count(*) FROM outgoing_mail")[0][0])
    wanted = {str(r[0]) for r in query(invoicing, "SELECT message_id FROM outgoing_mail")}
    filed = Counter()
    for path in mailbox.glob("*.eml"):
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        filed[str(msg.get("Message-ID") or "")] += 1
    missing = [m for m in wanted if not filed[m]]
    copies = sum(filed[m] - 1 for m in wanted if filed[m] > 1)
    kills = sum(1 for w in windows if "SIGKILL invoicing-worker" in w.what)
    ok = pending == 0 and not missing and copies <= kills
    return Check(
        "every automatic e-mail delivered, a copy only from a worker killed mid-send",
        ok,
        f"{queued} queued, {len(wanted) - len(missing)} delivered, {copies} copies, {kills} worker kills",
        f"pending {pending}; missing {missing[:3]}" if not ok else "",
    )


def check_all(
    urls: dict[str, str],
    psp_db: Path,
    bootstrap: str,
    flows: list[Any],
    answers: list[Any],
    windows: list[Any],
    drains: list[dict[str, Any]],
    drain_limit: float,
    grace: float = 5.0,
) -> tuple[list[Check], dict[str, Any]]:
    checks: list[Check] = []
    figures: dict[str, Any] = {}

    # flows
    done = [f for f in flows if f.done]
    failed = [f for f in flows if not f.done]
    checks.append(
        Check(
            "every flow completed (customer → … → invoice sent)",
            not failed,
            f"{len(done)}/{len(flows)}",
            "; ".join(f"#{f.n} {f.scenario}: {f.error}" for f in failed[:5]),
        )
    )

    # paid orders ↔ one paid, finalized invoice
    paid_orders = {r[0] for r in query(urls["orders"], "SELECT id FROM orders WHERE status = 'paid'")}
    inv = query(
        urls["invoicing"],
        "SELECT id, order_id, status, number, finalized_at, subscription_id, period_start, billing_reason"
        " FROM invoices",
    )
    by_order: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for r in inv:
        if r[1]:
            by_order[r[1]].append(r)
    bad = [
        o
        for o in paid_orders
        if [r[2] for r in by_order.get(o, [])] != ["paid"] or not by_order[o][0][3] or not by_order[o][0][4]
    ]
    flow_orders = {f.order for f in done}
    unpaid_flows = flow_orders - paid_orders
    checks.append(
        Check(
            "every paid order has exactly one paid, finalized invoice",
            not bad and not unpaid_flows,
            f"{len(paid_orders) - len(bad)}/{len(paid_orders)} orders",
            f"bad {sorted(bad)[:5]}, flows' orders not paid {sorted(unpaid_flows)[:5]}",
        )
    )
    figures["paid_orders"] = len(paid_orders)

    # gapless, unique numbers per series and year
    numbers = [r[3] for r in inv if r[3]]
    series: dict[tuple[str, str], list[int]] = defaultdict(list)
    for n in numbers:
        m = NUMBER.match(n)
        if m:
            series[(m.group(1), m.group(2))].append(int(m.group(3)))
    dup = [n for n, c in Counter(numbers).items() if c > 1]
    gaps = {
        f"{s}-{y}": sorted(set(range(1, max(v) + 1)) - set(v))[:10]
        for (s, y), v in series.items()
        if sorted(v) != list(range(1, len(v) + 1))
    }
    checks.append(
        Check(
            "invoice numbers: no gap, no duplicate",
            not dup and not gaps,
            f"{len(numbers)} numbers in {len(series)} series",
            f"duplicates {dup[:5]} gaps {gaps}",
        )
    )
    figures["invoice_numbers"] = len(numbers)

    # one provider charge per order (and per renewal invoice attempt)
    db = sqlite3.connect(f"file:{psp_db}?mode=ro", uri=True)
    charges = db.execute("SELECT id, status, metadata FROM charges").fetchall()
    db.close()
    per_order: Counter[str] = Counter()
    per_renewal: Counter[str] = Counter()
    for _cid, _status, meta in charges:
        md = json.loads(meta)
        if md.get("orderId"):
            per_order[md["orderId"]] += 1
        elif md.get("invoiceId"):
            per_renewal[md["invoiceId"] + "/" + md.get("attempt", "")] += 1
    many = {o: c for o, c in per_order.items() if c != 1}
    missing = [o for o in paid_orders if per_order.get(o, 0) != 1]
    many_r = {o: c for o, c in per_renewal.items() if c != 1}
    checks.append(
        Check(
            "one provider charge per order (and per renewal attempt)",
            not many and not missing and not many_r,
            f"{len(charges)} charges for {len(per_order)} orders + {len(per_renewal)} renewals",
            f"orders with ≠1: {dict(list(many.items())[:5])} missing {missing[:5]} renewals ≠1 {many_r}",
        )
    )
    figures["charges"] = len(charges)

    # one succeeded payment per order and per invoice, whichever way it was paid
    twice_paid = query(
        urls["payments"],
        "SELECT coalesce(order_id, invoice_id), count(*) FROM payment_intents WHERE status = 'succeeded'"
        " GROUP BY coalesce(order_id, invoice_id) HAVING count(*) > 1",
    )
    by_invoice = query(
        urls["payments"],
        "SELECT count(*) FROM payment_intents WHERE invoice_id IS NOT NULL AND attempt IS NULL",
    )[0][0]
    checks.append(
        Check(
            "one succeeded payment per order and per invoice (invoice payments included)",
            not twice_paid,
            f"{by_invoice} payments of open invoices",
            f"paid twice {twice_paid[:5]}",
        )
    )
    figures["invoice_payments"] = int(by_invoice)

    # renewals: one invoice per subscription and period
    subs = query(urls["invoicing"], "SELECT id FROM subscriptions")
    renewals = [r for r in inv if r[7] == "subscription_cycle"]
    per_period = Counter((r[5], r[6]) for r in renewals)
    twice = {k: v for k, v in per_period.items() if v > 1}
    checks.append(
        Check(
            "one renewal invoice per subscription and period",
            not twice,
            f"{len(renewals)} renewals of {len(subs)} subscriptions; "
            f"{sum(1 for r in renewals if r[2] == 'paid')} paid",
            f"twice {twice}",
        )
    )
    figures["subscriptions"] = len(subs)
    figures["renewals"] = len(renewals)

    # customer credit: each balance is the sum of its movements, and customers shows invoicing's
    balances = {
        (r[0], r[1]): int(r[2])
        for r in query(urls["invoicing"], "SELECT customer_id, currency, balance FROM customer_balances")
    }
    sums = {
        (r[0], r[1]): int(r[2])
        for r in query(
            urls["invoicing"],
            "SELECT customer_id, currency, sum(amount) FROM customer_balance_transactions"
            " GROUP BY customer_id, currency",
        )
    }
    shown = {
        (r[0], r[1]): int(r[2])
        for r in query(
            urls["customers"], "SELECT customer_id, currency, balance FROM customer_credit_balances"
        )
    }
    off = {k: (v, sums.get(k, 0)) for k, v in balances.items() if v != sums.get(k, 0)}
    unshown = {
        k: (v, shown.get(k)) for k, v in balances.items() if sums.get(k) is not None and shown.get(k) != v
    }
    changes = sum(1 for r in inv if r[7] == "subscription_update")
    checks.append(
        Check(
            "credit balance = the sum of its movements, and customers shows it",
            not off and not unshown and all(v >= 0 for v in balances.values()),
            f"{len(balances)} balances, {changes} change invoices",
            f"balance ≠ movements {dict(list(off.items())[:5])}; "
            f"customers shows {dict(list(unshown.items())[:5])}",
        )
    )
    figures["change_invoices"] = changes

    # outbox published; inbox effects once
    left = {s: int(query(urls[s], "SELECT count(*) FROM outbox WHERE sent_at IS NULL")[0][0]) for s in GROUPS}
    total_out = sum(int(query(urls[s], "SELECT count(*) FROM outbox")[0][0]) for s in GROUPS)
    checks.append(
        Check(
            "every outbox row published (sent_at set)",
            not any(left.values()),
            f"{total_out} rows, unsent {left}",
        )
    )
    figures["outbox_rows"] = total_out
    effects = []
    for svc, type_name in (
        ("invoicing", "InvoiceFinalized"),
        ("invoicing", "InvoicePaid"),
        ("orders", "OrderPaid"),
        ("payments", "PaymentSucceeded"),
        ("invoicing", "SubscriptionCreated"),
    ):
        rows = query(
            urls[svc],
            "SELECT subject, count(*) FROM outbox WHERE type LIKE %s GROUP BY subject HAVING count(*) > 1",
            f"billing.{type_name}.v%",
        )
        effects += [f"{type_name} {s} ×{c}" for s, c in rows]
    # the flow's one /send per invoice (the automatic mails are checked below, by Message-ID)
    sends = query(
        urls["invoicing"],
        "SELECT invoice_id, count(*) FROM invoice_sends WHERE message_id NOT IN"
        " (SELECT message_id FROM outgoing_mail) GROUP BY invoice_id HAVING count(*) > 1",
    )
    effects += [f"sent {i} ×{c}" for i, c in sends]
    inbox = sum(int(query(urls[s], "SELECT count(*) FROM inbox")[0][0]) for s in GROUPS)
    checks.append(
        Check(
            "no event consumed twice with effect (one Finalized/Paid/OrderPaid/Succeeded/send each)",
            not effects,
            f"{inbox} inbox rows",
            "; ".join(effects[:8]),
        )
    )

    checks.append(_automatic_mail(urls["invoicing"], psp_db.parent / "mail", windows))

    # per-aggregate order on the broker
    everything = read_topics(bootstrap)
    records = [r for r in everything if not r[0].endswith(catalog.DLQ_SUFFIX)]
    parked = [r for r in everything if r[0].endswith(catalog.DLQ_SUFFIX)]
    checks.append(
        Check(
            "no event dead-lettered (an outage is never the event's fault)",
            not parked,
            f"{len(parked)} records on the .dlq topics",
            "; ".join(f"{r[0]} {r[5]} {r[3]}" for r in parked[:5]),
        )
    )
    redelivered = len(records) - len({r[4] for r in records})
    seen: dict[str, list[str]] = defaultdict(list)
    first: set[str] = set()
    for _t, _p, _o, key, ce_id, ce_type in sorted(records, key=lambda r: (r[0], r[1], r[2])):
        if ce_id in first:
            continue  # a republished copy (at-least-once); its first copy holds the place
        first.add(ce_id)
        seen[key].append(_name(ce_type))
    out_of_order = []
    for key, names in seen.items():
        for chain in ORDERS:
            pos = [names.index(n) for n in chain if n in names]
            if pos != sorted(pos):
                out_of_order.append(f"{key}: {names}")
    checks.append(
        Check(
            "per-aggregate event order kept on the broker",
            not out_of_order,
            f"{len(records)} records, {len(seen)} keys, {redelivered} republished copies",
            "; ".join(out_of_order[:5]),
        )
    )
    figures["records"] = len(records)
    figures["republished_copies"] = redelivered

    # 5xx only while the answering service was down
    def excused(a: Any) -> bool:
        for w in windows:
            end = (w.end or a.t) + grace
            if w.start - 0.5 <= a.t <= end and (a.service in w.services or "*" in w.services):
                return True
        return False

    bad5 = [a for a in answers if a.status >= 500 and not excused(a)]
    noans = [a for a in answers if a.status == 0 and not excused(a)]
    total5 = sum(1 for a in answers if a.status >= 500)
    checks.append(
        Check(
            "no 5xx answered except while its own service was down",
            not bad5,
            f"{len(answers)} answers, {total5} 5xx, {len(bad5)} outside a window",
            "; ".join(f"{a.status} {a.route} @{a.t:.1f}" for a in bad5[:6]),
        )
    )
    figures["answers"] = len(answers)
    figures["answers_by_status"] = {str(k): v for k, v in sorted(Counter(a.status for a in answers).items())}
    figures["answers_5xx"] = total5
    figures["no_answer_outside_windows"] = len(noans)

    slow = [d for d in drains if d["drain_s"] is None or d["drain_s"] > drain_limit]
    checks.append(
        Check(
            f"everything drained within {drain_limit:.0f} s after each fault",
            not slow,
            "max " + (f"{max(d['drain_s'] or 1e9 for d in drains):.1f} s" if drains else "-"),
            "; ".join(f"{d['scenario']}: {d['drain_s']}" for d in slow),
        )
    )
    return checks, figures


def table(checks: list[Check]) -> str:
    w = max(len(c.name) for c in checks)
    lines = [f"{'invariant':<{w}}  {'ok':<4}  measured", "-" * (w + 40)]
    for c in checks:
        lines.append(f"{c.name:<{w}}  {'PASS' if c.ok else 'FAIL':<4}  {c.measured}")
        if not c.ok and c.detail:
            lines.append(f"{'':<{w}}        {c.detail}")
    return "\n".join(lines)
