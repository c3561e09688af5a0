"""Scenarios, one at a time under load, and the run that strings them together."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from billing_devtools.localstack import ROOT
from chaoskit import invariants
from chaoskit.flows import (
    Catalog,
    Client,
    Flow,
    FlowError,
    Recorder,
    Tokens,
    creds_of,
    run_flow,
    setup_catalog,
)
from chaoskit.stack import FaultStack


@dataclass
class Config:
    flows_per_scenario: int = 11
    concurrency: int = 6
    by_invoice_every: int = 4
    pace: float = 0.5  # seconds between the starts of a scenario's flows, so the load spans the fault
    pause: float = 2.0  # seconds a killed process stays down
    kafka_down: float = 10.0
    pg_down: float = 2.0
    proxy_slow: float = 4.0  # seconds of slow network (each chunk delayed by proxy_delay)
    proxy_delay: float = 0.15
    proxy_cut: float = 4.0
    request_budget: float = 150.0
    wait_budget: float = 180.0
    drain_limit: float = 60.0
    three_ds_every: int = 4
    monthly_every: int = 7
    kills: tuple[str, ...] = (
        "customers-api",
        "orders-worker",
        "payments-api",
        "invoicing-worker",
        "invoicing-scheduler",
        "gateway",
    )
    seed: int = 7


API_SERVICE = {
    "customers-api": "customers",
    "orders-api": "orders",
    "payments-api": "payments",
    "invoicing-api": "invoicing",
}


@dataclass
class ScenarioResult:
    name: str
    flows: int
    completed: int
    started: float
    fault_at: float | None = None
    restored_at: float | None = None
    ended: float | None = None
    drain_s: float | None = None
    flows_done_s: float | None = None  # the last flow's completion, from the fault's end
    note: str = ""


@dataclass
class Run:
    stack: FaultStack
    cfg: Config
    log: Callable[[str], None] = print
    recorder: Recorder = field(default_factory=Recorder)
    flows: list[Flow] = field(default_factory=list)
    scenarios: list[ScenarioResult] = field(default_factory=list)
    drains: list[dict[str, Any]] = field(default_factory=list)
    catalog: Catalog | None = None
    tokens: Tokens | None = None
    _local: threading.local = field(default_factory=threading.local)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.cfg.seed)
        self.t0 = time.time()

    @property
    def urls(self) -> dict[str, str]:
        assert self.stack.platform is not None
        return self.stack.platform.db_urls

    def client(self) -> Client:
        c = getattr(self._local, "client", None)
        if c is None:
            assert self.stack.platform is not None and self.tokens is not None
            c = Client(self.stack.platform.gateway_url, self.tokens, self.recorder, self.cfg.request_budget)
            self._local.client = c
        return c

    def setup(self) -> None:
        assert self.stack.platform is not None
        self.tokens = Tokens(self.stack.platform.gateway_url, creds_of(self.stack.platform.var))
        self.catalog = setup_catalog(self.client())

    # -- one scenario ---------------------------------------------------------------------------

    def scenario(
        self, name: str, fault: Callable[[ScenarioResult], None], n: int | None = None
    ) -> ScenarioResult:
        n = self.cfg.flows_per_scenario if n is None else n
        res = ScenarioResult(name, n, 0, time.time())
        self.scenarios.append(res)
        base = len(self.flows)
        batch = [
            Flow(
                base + i,
                name,
                # a monthly plan pays with tok_visa: a 3DS card's off-session renewal rightly fails
                "tok_threeDSecureRequired"
                if (base + i) % self.cfg.three_ds_every == 1 and (base + i) % self.cfg.monthly_every != 3
                else "tok_visa",
                (base + i) % self.cfg.monthly_every == 3,
                # one-off orders paid through their finalized invoice, as a "pay now" link does
                by_invoice=(base + i) % self.cfg.by_invoice_every == 2,
            )
            for i in range(n)
        ]
        self.flows += batch
        assert self.catalog is not None
        cat = self.catalog
        with ThreadPoolExecutor(self.cfg.concurrency, thread_name_prefix="flow") as pool:
            t_start = time.time()

            def paced(f: Flow, at: float) -> Flow:
                time.sleep(max(0.0, at - time.time()))
                return run_flow(self.client(), cat, f, self.cfg.wait_budget)

            futures = [pool.submit(paced, f, t_start + i * self.cfg.pace) for i, f in enumerate(batch)]
            try:
                fault(res)
            except Exception as e:
                res.note = f"fault failed: {type(e).__name__}: {e}"
                self.log(f"[chaos] {name}: {res.note}")
            for fut in futures:
                fut.result()
        res.completed = sum(1 for f in batch if f.done)
        since = res.restored_at or res.started
        if res.completed:
            res.flows_done_s = round(max(f.done or 0 for f in batch) - since, 2)
        res.drain_s = self.drain(since)
        res.ended = time.time()
        self.drains.append({"scenario": name, "drain_s": res.drain_s})
        errs = [f.error for f in batch if f.error]
        self.log(
            f"[chaos] {name}: {res.completed}/{n} flows (last {res.flows_done_s} s after the fault ended),"
            f" drained {res.drain_s} s after it" + (f"; first error: {errs[0]}" if errs else "")
        )
        return res

    def drain(self, since: float) -> float | None:
        """Seconds from `since` until no outbox row is unsent and no consumer group lags."""
        deadline = time.time() + self.cfg.drain_limit * 2
        while time.time() < deadline:
            try:
                if invariants.unsent(self.urls) == 0 and invariants.consumer_lag(self.stack.bootstrap) == 0:
                    return round(time.time() - since, 2)
            except Exception:
                pass
            time.sleep(0.5)
        return None

    def pick_moment(self) -> None:
        """A random moment while the scenario's flows are still starting."""
        span = self.cfg.flows_per_scenario * self.cfg.pace
        time.sleep(self.rng.uniform(0.15 * span, 0.5 * span))

    # -- the faults -----------------------------------------------------------------------------

    def kill(self, proc: str) -> Callable[[ScenarioResult], None]:
        def fault(res: ScenarioResult) -> None:
            self.pick_moment()
            svc = API_SERVICE.get(proc)
            services = (svc,) if svc else ("*",) if proc == "gateway" else ()
            w = self.stack.window(res.name, f"SIGKILL {proc}", services)
            res.fault_at = self.stack.kill(proc)
            time.sleep(self.cfg.pause)
            self.stack.revive(proc)
            if self.stack.ready_url(proc):
                self.stack.wait_ready(proc)
            res.restored_at = w.end = time.time()

        return fault

    def relay_crash(self, res: ScenarioResult) -> None:
        """The invoicing relay SIGKILLed between Kafka's ack and marking the rows sent: the batch
        is published again after the restart, and consumers must skip the copies."""
        w = self.stack.window(res.name, "relay SIGKILL after publish, before mark", ())
        res.fault_at = self.stack.crash_at("invoicing-worker", "relay.after_publish")
        self.stack.wait_ready("invoicing-worker")
        res.restored_at = w.end = time.time()

    def kafka_down(self, res: ScenarioResult) -> None:
        self.pick_moment()
        w = self.stack.window(res.name, f"Kafka stopped {self.cfg.kafka_down:.0f} s", ())
        self.stack.stop_kafka()
        res.fault_at = time.time()
        time.sleep(self.cfg.kafka_down)
        self.stack.start_kafka()
        res.restored_at = w.end = time.time()

    def pg_restart(self, res: ScenarioResult) -> None:
        self.pick_moment()
        w = self.stack.window(res.name, "PostgreSQL restarted", ("*",))
        res.fault_at = time.time()
        self.stack.stop_postgres()
        time.sleep(self.cfg.pg_down)
        self.stack.start_postgres()
        res.restored_at = w.end = time.time()

    def network(self, res: ScenarioResult) -> None:
        proxy = self.stack.proxy
        assert proxy is not None
        svc = self.stack.proxied
        self.pick_moment()
        res.fault_at = time.time()
        w1 = self.stack.window(res.name, f"{svc}: slow network", ())
        proxy.slow(self.cfg.proxy_delay)
        time.sleep(self.cfg.proxy_slow)
        w1.end = time.time()
        w2 = self.stack.window(res.name, f"{svc}: network cut", (svc,))
        proxy.cut()
        time.sleep(self.cfg.proxy_cut)
        proxy.passing()
        res.restored_at = w2.end = time.time()

    def webhooks(self, res: ScenarioResult) -> None:
        # set before the batch's first payments: restart the provider with its chaos switch on
        w = self.stack.window(res.name, "webhooks twice and out of order", ("payments",))
        res.fault_at = time.time()
        self.stack.restart_with("test-psp", {"TEST_PSP_WEBHOOK_CHAOS": "duplicate,reorder"})
        w.end = time.time()

    def webhooks_off(self) -> None:
        self.stack.restart_with("test-psp", {})

    def change_subscriptions(self, answers: list[str], limit: int = 9) -> None:
        """Plan changes while the biller runs, as a client makes them: an upgrade invoiced and
        charged now then the downgrade back (credit), or a change left for the renewal. The run may
        move a period meanwhile (a 422 on the date): the client reads the subscription again and
        retries once. Every answer is recorded; anything else than these fails the scenario."""
        client = self.client()
        subs = [s for s in client.call("GET", "/Subscriptions?limit=100")["data"] if s["status"] == "active"]
        for i, sub in enumerate(subs[:limit]):
            item = sub["items"][0]
            q = int(item["quantity"])
            steps = (
                [(q + 2, "always_invoice"), (q, "always_invoice")]
                if i % 3 != 2
                else [(q + 1, "create_prorations")]
            )
            for qty, behavior in steps:
                for attempt in range(2):
                    now = client.call("GET", f"/Subscriptions/{sub['id']}")
                    s, e = (
                        datetime.fromisoformat(now[k]) for k in ("currentPeriodStart", "currentPeriodEnd")
                    )
                    body = {
                        "items": [{"productId": item["productId"], "quantity": qty}],
                        "prorationBehavior": behavior,
                        "prorationDate": (s + (e - s) / 3).isoformat(),
                    }
                    try:
                        client.call("PATCH", f"/Subscriptions/{sub['id']}", body, ok=(200,))
                        answers.append("changed")
                        break
                    except FlowError as exc:
                        if ": 422 " not in str(exc) or attempt:
                            raise
                        answers.append("period moved: read again")

    def billing_runs(self, res: ScenarioResult) -> None:
        """The recurring biller at the end of every subscription's first period: three runs through
        the API and two CLI runs at once, then the same again; subscriptions change their items
        while the first round bills."""
        subs = invariants.query(
            self.urls["invoicing"], "SELECT max(current_period_end), count(*) FROM subscriptions"
        )
        end, count = subs[0]
        if not count:
            res.note = "no subscriptions"
            return
        as_of = (end + timedelta(minutes=5)).astimezone(UTC)
        res.fault_at = time.time()
        assert self.stack.platform is not None
        env = self.stack.platform.base_env()
        reports: list[Any] = []

        def api_run() -> None:
            reports.append(
                self.client().call("POST", "/SubscriptionBillingRuns", {"asOf": as_of.isoformat()})
            )

        def cli_run() -> None:
            out = subprocess.run(
                [sys.executable, "-m", "invoicing.cli", "billing-run", "--as-of", as_of.isoformat()],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=300,
            )
            reports.append(out.stdout.strip()[-300:] or out.stderr.strip()[-300:])

        changes: list[str] = []
        broken: list[BaseException] = []

        def change_run() -> None:
            try:
                self.change_subscriptions(changes)
            except BaseException as exc:  # the scenario fails below, naming it
                broken.append(exc)

        for round_ in range(2):
            fns: list[Callable[[], None]] = [api_run, api_run, api_run, cli_run, cli_run]
            if round_ == 0:
                fns.append(change_run)
            threads = [threading.Thread(target=fn) for fn in fns]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        res.restored_at = time.time()
        res.note = (
            f"{count} subscriptions billed as of {as_of.isoformat()}; changes answered {Counter(changes)}"
        )

        def renewals_paid() -> bool:
            rows = invariants.query(
                self.urls["invoicing"],
                "SELECT count(*) FROM invoices"
                " WHERE billing_reason = 'subscription_cycle' AND status = 'paid'",
            )
            return int(rows[0][0]) >= count

        deadline = time.time() + self.cfg.wait_budget
        while not renewals_paid() and time.time() < deadline:
            time.sleep(0.5)
        self.log(f"[chaos] billing runs: {len(reports)} reports; first {str(reports[:1])[:200]}")

    # -- the whole run --------------------------------------------------------------------------

    def run_all(self) -> None:
        cfg = self.cfg
        self.setup()
        for proc in cfg.kills:
            self.scenario(f"SIGKILL {proc}", self.kill(proc))
        self.scenario("relay killed between publish and mark", self.relay_crash)
        self.scenario(f"Kafka down {cfg.kafka_down:.0f} s", self.kafka_down)
        self.scenario("PostgreSQL restart", self.pg_restart)
        self.scenario(f"network to {self.stack.proxied}: slow, then cut", self.network)
        self.scenario("webhooks twice + out of order", self.webhooks)
        self.webhooks_off()
        self.scenario("billing runs repeated + concurrent", self.billing_runs, n=0)

    def check(self) -> tuple[list[invariants.Check], dict[str, Any]]:
        assert self.stack.platform is not None
        return invariants.check_all(
            self.urls,
            self.stack.platform.var / "test-psp.sqlite3",
            self.stack.bootstrap,
            self.flows,
            self.recorder.answers,
            self.stack.windows,
            self.drains,
            self.cfg.drain_limit,
        )

    def _window(self, w: Any) -> dict[str, Any]:
        """A fault window with the answers in it that were not a success: 5xx and no answer."""
        end = (w.end or w.start) + 5.0
        seen: dict[str, int] = {}
        for a in self.recorder.answers:
            if w.start <= a.t <= end and (a.status >= 500 or a.status == 0):
                k = f"{a.status} {a.service}"
                seen[k] = seen.get(k, 0) + 1
        return {
            "scenario": w.scenario,
            "what": w.what,
            "services": list(w.services),
            "start": round(w.start - self.t0, 2),
            "end": round((w.end or w.start) - self.t0, 2),
            "failed_answers": seen,
        }

    def report(self, checks: list[invariants.Check], figures: dict[str, Any]) -> dict[str, Any]:
        t0 = self.t0
        done = sorted(f.done - t0 for f in self.flows if f.done)
        return {
            "generated": datetime.now(UTC).isoformat(),
            "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
            "config": asdict(self.cfg),
            "duration_s": round(time.time() - t0, 1),
            "flows": {
                "total": len(self.flows),
                "completed": len(done),
                "retries": sum(f.retries for f in self.flows),
            },
            "scenarios": [
                {
                    k: (round(v - t0, 2) if k in ("started", "fault_at", "restored_at", "ended") and v else v)
                    for k, v in asdict(s).items()
                }
                for s in self.scenarios
            ],
            "windows": [self._window(w) for w in self.stack.windows],
            "unplanned_restarts": [{"t": round(t - t0, 2), "what": what} for t, what in self.stack.unplanned],
            "invariants": [asdict(c) for c in checks],
            "figures": figures,
            "completions_s": [round(x, 2) for x in done],
            "failed_flows": [
                {"n": f.n, "scenario": f.scenario, "error": f.error} for f in self.flows if not f.done
            ],
        }


def write_plot(report: dict[str, Any], path: Path, bin_s: float = 5.0) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = report["completions_s"]
    end = max([report["duration_s"], *done]) if done else report["duration_s"]
    bins = int(end // bin_s) + 1
    counts = [0] * bins
    for t in done:
        counts[int(t // bin_s)] += 1
    xs = [i * bin_s for i in range(bins)]
    fig, ax = plt.subplots(figsize=(14, 5))
    ax.step(xs, [c / bin_s for c in counts], where="post", color="tab:blue", label="complete flows / s")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, w in enumerate(report["windows"]):
        c = colors[i % len(colors)]
        ax.axvspan(w["start"], max(w["end"], w["start"] + 0.5), color=c, alpha=0.25)
        ax.annotate(
            w["what"],
            (w["start"], 0),
            xytext=(2, 4 + 12 * (i % 4)),
            textcoords="offset points",
            fontsize=7,
            rotation=0,
            color=c,
        )
    ax.set_xlabel("seconds since the run started")
    ax.set_ylabel("complete flows per second")
    ax.set_title(f"chaos run: {report['flows']['completed']}/{report['flows']['total']} flows, faults shaded")
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
