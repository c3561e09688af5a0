"""The platform for fault runs: its own Kafka broker and PostgreSQL cluster on free ports (never
the shared test broker: consumer groups are the fixed service names), one database per service,
every process of `billing_devtools.localstack.Platform`, a TCP proxy the gateway reaches one service
through, and a supervisor that restarts whatever dies unless the harness holds it down."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from billing_devtools.localstack import ROOT, Platform, Ports, free_port, http_ok
from chaoskit.proxy import TcpProxy

SERVICES = ("customers", "orders", "payments", "invoicing")


def _script(name: str, cmd: str, env: dict[str, str], timeout: float = 300) -> None:
    res = subprocess.run(
        [str(ROOT / "deploy/local" / name), cmd],
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if res.returncode != 0:
        raise RuntimeError(f"{name} {cmd} failed:\n{res.stdout[-1500:]}\n{res.stderr[-1500:]}")


@dataclass
class Window:
    """A stretch of time in which `services` were down on purpose (5xx from them is expected)."""

    scenario: str
    what: str
    services: tuple[str, ...]
    start: float
    end: float | None = None


@dataclass
class FaultStack:
    root: Path
    proxied: str = "payments"
    kafka_env: dict[str, str] = field(default_factory=dict)
    pg_env: dict[str, str] = field(default_factory=dict)
    platform: Platform | None = None
    proxy: TcpProxy | None = None
    windows: list[Window] = field(default_factory=list)
    held: set[str] = field(default_factory=set)
    unplanned: list[tuple[float, str]] = field(default_factory=list)
    t0: float = field(default_factory=time.time)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- infrastructure -------------------------------------------------------------------------

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_env['KAFKA_PORT']}"

    def start_kafka(self) -> None:
        if not self.kafka_env:
            self.kafka_env = {
                "KAFKA_PORT": str(free_port()),
                "KAFKA_CONTROLLER_PORT": str(free_port()),
                "KAFKA_DATA_DIR": str(self.root / "kafka"),
                "KAFKA_HEAP": "-Xmx256m -Xms256m",
                "KAFKA_START_TIMEOUT": "120",
            }
        _script("kafka.sh", "start", self.kafka_env)

    def stop_kafka(self) -> None:
        _script("kafka.sh", "stop", self.kafka_env)

    def start_postgres(self) -> None:
        if not self.pg_env:
            self.pg_env = {"PG_PORT": str(free_port()), "PG_DATA_DIR": str(self.root / "pg")}
        _script("postgres.sh", "start", self.pg_env)

    def stop_postgres(self) -> None:
        _script("postgres.sh", "stop", self.pg_env)

    def pg_url(self, db: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.pg_env['PG_PORT']}/{db}"

    def create_databases(self) -> dict[str, str]:
        import psycopg

        urls = {}
        dsn = f"postgresql://postgres@127.0.0.1:{self.pg_env['PG_PORT']}/postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            for name in (*SERVICES, "gateway"):
                conn.execute(f'CREATE DATABASE "billing_{name}"')
                urls[name] = self.pg_url(f"billing_{name}")
        return urls

    # -- the platform ---------------------------------------------------------------------------

    def start(self, extra_env: dict[str, str] | None = None) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.start_kafka()
        self.start_postgres()
        urls = self.create_databases()
        from billing_shared.kafka.topics import ensure_topics

        ensure_topics(self.bootstrap, 3, timeout=120)
        ports = Ports.free()
        self.proxy = TcpProxy(ports.services[self.proxied])
        p = Platform(
            var_dir=self.root / "var",
            ports=ports,
            kafka_bootstrap=self.bootstrap,
            database_urls=urls,
            extra_env={
                # a claim left by a SIGKILLed request is taken over after this (default 60 s)
                "IDEMPOTENCY_STALE_CLAIM_SECONDS": "10",
                # a provider call cut short by a SIGKILLed payments API is resumed after this
                # (default 60 s): it bounds the drain after that fault
                "PAYMENTS_STALE_CALL_SECONDS": "15",
                "INVOICING_BILLING_INTERVAL": "2",
                # mail refused during an outage is tried again at most 5 s later (default 300 s)
                "INVOICING_MAIL_RETRY_CAP_SECONDS": "5",
                "LOG_LEVEL": "WARNING",
            }
            | (extra_env or {}),
        )
        self.platform = p
        p.prepare()
        p.define()
        gw = p.proc("gateway")
        gw.env = dict(gw.env) | {f"{self.proxied.upper()}_URL": f"http://127.0.0.1:{self.proxy.port}"}
        try:
            for proc in p.procs:
                p.spawn(proc)
            p.wait_ready(180)
        except BaseException:
            self.stop()
            raise
        threading.Thread(target=self._supervise, name="supervisor", daemon=True).start()

    def _supervise(self) -> None:
        assert self.platform is not None
        while not self._stop.wait(0.3):
            with self._lock:
                for proc in self.platform.procs:
                    if proc.name in self.held or proc.popen is None or proc.popen.poll() is None:
                        continue
                    self.unplanned.append((time.time(), f"{proc.name} exited {proc.popen.returncode}"))
                    proc.restarts += 1
                    self.platform.spawn(proc)

    def now(self) -> float:
        return time.time()

    def kill(self, name: str) -> float:
        """SIGKILL a process (its whole group) and hold it down until `revive`."""
        assert self.platform is not None
        with self._lock:
            self.held.add(name)
            proc = self.platform.proc(name)
            assert proc.popen is not None
            os.killpg(proc.popen.pid, signal.SIGKILL)
            proc.popen.wait(timeout=30)
        return time.time()

    def revive(self, name: str) -> None:
        assert self.platform is not None
        with self._lock:
            proc = self.platform.proc(name)
            proc.restarts += 1
            self.platform.spawn(proc)
            self.held.discard(name)

    def restart_with(self, name: str, env: dict[str, str]) -> None:
        """Stop a process gracefully and start it again with `env` added to its environment."""
        assert self.platform is not None
        with self._lock:
            self.held.add(name)
            proc = self.platform.proc(name)
            assert proc.popen is not None
            os.killpg(proc.popen.pid, signal.SIGTERM)
            proc.popen.wait(timeout=30)
            proc.env = {k: v for k, v in proc.env.items() if not k.startswith("TEST_PSP_WEBHOOK_CHAOS")}
            proc.env |= env
            self.platform.spawn(proc)
            self.held.discard(name)
        self.wait_ready(name)

    def crash_at(self, name: str, point: str, timeout: float = 60) -> float:
        """Restart `name` armed with a BILLING_FAULTS point (billing_shared.faults): it SIGKILLs
        itself when it gets there; then start it again unarmed. Returns when it died."""
        assert self.platform is not None
        proc = self.platform.proc(name)
        with self._lock:
            self.held.add(name)
            assert proc.popen is not None
            os.killpg(proc.popen.pid, signal.SIGTERM)
            proc.popen.wait(timeout=30)
            plain = proc.env
            proc.env = plain | {"BILLING_FAULTS": point}
            self.platform.spawn(proc)
        popen = proc.popen
        assert popen is not None
        try:
            popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(popen.pid, signal.SIGKILL)
            popen.wait(timeout=30)
        died = time.time()
        with self._lock:
            proc.env = plain
            proc.restarts += 1
            self.platform.spawn(proc)
            self.held.discard(name)
        return died

    def ready_url(self, name: str) -> str | None:
        assert self.platform is not None
        return self.platform.proc(name).ready_url

    def wait_ready(self, *names: str, timeout: float = 120) -> float:
        """Until each named process (all when none) answers /readyz; returns when."""
        assert self.platform is not None
        procs = [p for p in self.platform.procs if (not names or p.name in names) and p.ready_url]
        deadline = time.monotonic() + timeout
        for p in procs:
            while not http_ok(p.ready_url or "", timeout=1):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{p.name} not ready within {timeout:.0f} s")
                time.sleep(0.2)
        return time.time()

    def window(self, scenario: str, what: str, services: tuple[str, ...]) -> Window:
        w = Window(scenario, what, services, time.time())
        self.windows.append(w)
        return w

    def log_tail(self, name: str, n: int = 3000) -> str:
        assert self.platform is not None
        path = self.platform.logs / f"{name}.log"
        return path.read_text(errors="replace")[-n:] if path.exists() else ""

    def stop(self, keep: bool = False) -> None:
        self._stop.set()
        if self.proxy:
            self.proxy.close()
        if self.platform:
            with self._lock:
                self.held = {p.name for p in self.platform.procs}
            self.platform.stop()
        for fn in (self.stop_postgres, self.stop_kafka):
            try:
                fn()
            except Exception as exc:  # report, keep stopping the rest
                print(f"[chaos] stopping: {exc}")
        if not keep:
            shutil.rmtree(self.root, ignore_errors=True)
