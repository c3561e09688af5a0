"""The whole platform as local processes: what `make run` starts and what whole-flow tests start.

It prepares (Kafka, topics, migrations, the demo API client), starts every API, worker and the
gateway, waits until each answers `/readyz`, restarts a process that dies, and on Ctrl-C or
SIGTERM stops everything it started. Ports, database URLs and the broker are parameters, so a
test can run a second copy beside `make run` without either noticing.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from secrets import token_hex

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class ServiceSpec:
    """A service of the platform: its CLI module and its default ports."""

    name: str
    module: str
    port: int
    worker_health_port: int


SERVICES = [
    ServiceSpec("customers", "customers.cli", 8101, 8111),
    ServiceSpec("orders", "orders.cli", 8102, 8112),
    ServiceSpec("payments", "payments.cli", 8103, 8113),
    ServiceSpec("invoicing", "invoicing.cli", 8104, 8114),
]


@dataclass
class Ports:
    gateway: int = 8080
    services: dict[str, int] = field(default_factory=lambda: {s.name: s.port for s in SERVICES})
    workers: dict[str, int] = field(default_factory=lambda: {s.name: s.worker_health_port for s in SERVICES})
    test_psp: int = 8190  # the built-in test payment gateway (test_psp)
    mail_sink: int = 1025  # the local SMTP server that files mail into var/mail (mail_sink)

    @classmethod
    def free(cls) -> Ports:
        """Free ports, all different: each stays bound until every one is chosen (ports taken and
        let go one at a time can come back twice, and two processes then fight over one)."""
        with contextlib.ExitStack() as held:

            def take() -> int:
                s = held.enter_context(socket.socket())
                s.bind(("127.0.0.1", 0))
                return int(s.getsockname()[1])

            return cls(
                take(),
                {s.name: take() for s in SERVICES},
                {s.name: take() for s in SERVICES},
                test_psp=take(),
                mail_sink=take(),
            )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.3):
            return True
    except OSError:
        return False


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return bool(r.status == 200)
    except Exception:
        return False


@dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str]
    ready_url: str | None
    popen: subprocess.Popen[bytes] | None = None
    restarts: int = 0


class Platform:
    def __init__(
        self,
        *,
        var_dir: Path,
        ports: Ports | None = None,
        kafka_bootstrap: str = "127.0.0.1:9092",
        database_urls: dict[str, str] | None = None,
        extra_env: dict[str, str] | None = None,
        echo: bool = False,
    ) -> None:
        self.var = var_dir
        self.ports = ports or Ports()
        self.kafka = kafka_bootstrap
        self.db_urls = database_urls or {}
        self.extra_env = extra_env or {}
        self.echo = echo
        self.logs = var_dir / "log"
        self.procs: list[Proc] = []
        self.kafka_proc: subprocess.Popen[bytes] | None = None

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway}"

    def say(self, msg: str) -> None:
        if self.echo:
            print(f"[run] {msg}", flush=True)

    def base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
        env |= {
            "KAFKA_BOOTSTRAP": self.kafka,
            "VAR_DIR": str(self.var),
            "JWKS_URL": f"{self.gateway_url}/.well-known/jwks.json",
            "GATEWAY_PORT": str(self.ports.gateway),
            "PYTHONUNBUFFERED": "1",
            "SMTP_URL": os.environ.get("SMTP_URL") or f"smtp://127.0.0.1:{self.ports.mail_sink}",
        }
        for s in SERVICES:
            env[f"{s.name.upper()}_URL"] = f"http://127.0.0.1:{self.ports.services[s.name]}"
            env[f"{s.name.upper()}_PORT"] = str(self.ports.services[s.name])
            env[f"{s.name.upper()}_WORKER_HEALTH_PORT"] = str(self.ports.workers[s.name])
            if s.name in self.db_urls:
                env[f"{s.name.upper()}_DATABASE_URL"] = self.db_urls[s.name]
        env["GATEWAY_SERVICES"] = ",".join(s.name for s in SERVICES)
        env |= self.test_psp_env()
        if "gateway" in self.db_urls:
            env["DATABASE_URL"] = self.db_urls["gateway"]
        return env | self.extra_env

    def test_psp_env(self) -> dict[str, str]:
        """The test payment gateway's address and its two secrets, which payments shares: random,
        made once per var dir (so restarts keep verifying webhooks) and kept only in that dir."""
        path = self.var / "test-psp-secrets.json"
        if path.exists():
            secrets_ = json.loads(path.read_text())
        else:
            self.var.mkdir(parents=True, exist_ok=True)
            secrets_ = {"api_key": "sk_test_" + token_hex(24), "webhook_secret": "whsec_" + token_hex(24)}
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump(secrets_, f)
        return {
            "TEST_PSP_URL": f"http://127.0.0.1:{self.ports.test_psp}",
            "TEST_PSP_PORT": str(self.ports.test_psp),
            "TEST_PSP_API_KEY": secrets_["api_key"],
            "TEST_PSP_WEBHOOK_SECRET": secrets_["webhook_secret"],
            "TEST_PSP_WEBHOOK_URL": f"{self.gateway_url}/api/v1/PaymentGateways/test/webhooks",
        }

    # -- preparation ------------------------------------------------------------------------

    def start_kafka_if_needed(self) -> None:
        host, _, port = self.kafka.split(",")[0].rpartition(":")
        if port_open(int(port), host):
            self.say(f"Kafka already answers on {self.kafka}; using it")
            return
        self.say(f"starting Kafka on {self.kafka} (first run downloads it with Maven)")
        self.logs.mkdir(parents=True, exist_ok=True)
        env = os.environ | {"KAFKA_PORT": port, "KAFKA_DATA_DIR": str(self.var / "kafka")}
        log = open(self.logs / "kafka.log", "ab")  # noqa: SIM115 (owned by the child)
        subprocess.run([str(ROOT / "deploy/local/kafka.sh"), "install"], check=True, env=env)
        self.kafka_proc = subprocess.Popen(
            [str(ROOT / "deploy/local/kafka.sh"), "run"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def prepare(self) -> None:
        """Kafka boots while the databases migrate (in parallel, one process per service): the
        slowest of them, not their sum, is what a start waits for."""
        from billing_shared.kafka.topics import ensure_topics

        self.var.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        self.start_kafka_if_needed()
        env = self.base_env()
        migrations = [[sys.executable, "-m", s.module, "migrate"] for s in SERVICES]
        self._run_all([*migrations, [sys.executable, "-m", "gateway.cli", "migrate"]], env)
        self._run_once(
            [
                sys.executable,
                "-m",
                "gateway.cli",
                "demo-client",
                "--out",
                str(self.var / "demo-credentials.json"),
            ],
            env,
        )
        self.say("databases migrated; demo client in " + str(self.var / "demo-credentials.json"))
        partitions = int(os.environ.get("KAFKA_PARTITIONS", "3"))
        ensure_topics(self.kafka, partitions, timeout=120)
        self.say("topics ready")

    def _run_all(self, argvs: list[list[str]], env: dict[str, str]) -> None:
        running = [
            (
                argv,
                subprocess.Popen(
                    argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
                ),
            )
            for argv in argvs
        ]
        failed = []
        for argv, proc in running:
            out, _ = proc.communicate()
            if proc.returncode != 0:
                failed.append(f"`{' '.join(argv[2:])}` failed: " + " | ".join(out.strip().splitlines()[-3:]))
        if failed:
            raise RuntimeError("; ".join(failed))

    def _run_once(self, argv: list[str], env: dict[str, str]) -> None:
        res = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True)
        if res.returncode != 0:
            last = (res.stderr or res.stdout).strip().splitlines()[-3:]
            raise RuntimeError(f"`{' '.join(argv[2:])}` failed: " + " | ".join(last))

    # -- processes --------------------------------------------------------------------------

    def define(self) -> None:
        env = self.base_env()
        py = sys.executable
        self.procs = []
        for s in SERVICES:
            self.procs.append(
                Proc(
                    f"{s.name}-api",
                    [py, "-m", s.module, "serve"],
                    env,
                    f"http://127.0.0.1:{self.ports.services[s.name]}/readyz",
                )
            )
            self.procs.append(
                Proc(
                    f"{s.name}-worker",
                    [py, "-m", s.module, "worker"],
                    env,
                    f"http://127.0.0.1:{self.ports.workers[s.name]}/readyz",
                )
            )
        # The mailbox: invoicing's automatic mail arrives in var/mail over real SMTP.
        sink = [py, "-m", "billing_devtools.mail_sink", "--port", str(self.ports.mail_sink)]
        self.procs.append(Proc("mail-sink", [*sink, "--dir", str(self.var / "mail")], env, None))
        # The recurring biller every minute with the real clock (a CronJob in Kubernetes).
        self.procs.append(Proc("invoicing-scheduler", [py, "-m", "invoicing.cli", "scheduler"], env, None))
        self.procs.append(
            Proc(
                "test-psp",
                [py, "-m", "test_psp"],
                env,
                f"http://127.0.0.1:{self.ports.test_psp}/healthz",
            )
        )
        self.procs.append(
            Proc("gateway", [py, "-m", "gateway.cli", "serve"], env, f"{self.gateway_url}/readyz")
        )

    def spawn(self, proc: Proc) -> None:
        log = open(self.logs / f"{proc.name}.log", "ab")  # noqa: SIM115 (owned by the child)
        proc.popen = subprocess.Popen(
            proc.argv, env=proc.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start(self, timeout: float = 120) -> None:
        """Everything up and ready, or nothing left running."""
        try:
            self.prepare()
            self.define()
            for p in self.procs:
                self.spawn(p)
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        pending = [p for p in self.procs if p.ready_url]
        while pending:
            for p in list(pending):
                if p.popen is not None and p.popen.poll() is not None:
                    raise RuntimeError(
                        f"{p.name} exited with {p.popen.returncode}; see {self.logs / (p.name + '.log')}"
                    )
                if http_ok(p.ready_url or ""):
                    pending.remove(p)
                    self.say(f"{p.name} ready")
            if pending and time.monotonic() > deadline:
                names = ", ".join(p.name for p in pending)
                raise RuntimeError(f"not ready after {timeout:.0f}s: {names}; logs in {self.logs}")
            time.sleep(0.2)

    def proc(self, name: str) -> Proc:
        return next(p for p in self.procs if p.name == name)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        p = self.proc(name)
        if p.popen and p.popen.poll() is None:
            os.killpg(p.popen.pid, sig)
            p.popen.wait(timeout=30)

    def restart_dead(self) -> list[str]:
        restarted = []
        for p in self.procs:
            if p.popen is not None and p.popen.poll() is not None:
                p.restarts += 1
                self.spawn(p)
                restarted.append(p.name)
        return restarted

    def stop(self) -> None:
        for p in reversed(self.procs):
            if p.popen and p.popen.poll() is None:
                os.killpg(p.popen.pid, signal.SIGTERM)
        for p in reversed(self.procs):
            if p.popen:
                try:
                    p.popen.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(p.popen.pid, signal.SIGKILL)
        if self.kafka_proc and self.kafka_proc.poll() is None:
            os.killpg(self.kafka_proc.pid, signal.SIGTERM)
            try:
                self.kafka_proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.kafka_proc.pid, signal.SIGKILL)

    def admin_token(self) -> str:
        creds = json.loads((self.var / "demo-credentials.json").read_text())
        body = json.dumps({"grant_type": "client_credentials", **creds}).encode()
        req = urllib.request.Request(
            f"{self.gateway_url}/api/v1/Auth/token", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return str(json.loads(r.read())["access_token"])


DATABASE_OWNERS = [*(s.name for s in SERVICES), "gateway"]


def local_postgres_urls() -> dict[str, str]:
    """`RUN_DATABASE=postgres make run`: Debian's PostgreSQL on loopback, one database per service."""
    script = str(ROOT / "deploy/local/postgres.sh")
    subprocess.run([script, "start"], check=True)
    urls = {}
    for name in DATABASE_OWNERS:
        subprocess.run([script, "createdb", f"billing_{name}"], check=True, capture_output=True)
        out = subprocess.run([script, "url", f"billing_{name}"], check=True, capture_output=True, text=True)
        urls[name] = out.stdout.strip()
    return urls


def main() -> None:
    """`make run`: foreground; Ctrl-C stops everything it started.

    SQLite files under var/ by default; `<SERVICE>_DATABASE_URL` (e.g. `CUSTOMERS_DATABASE_URL`,
    `GATEWAY_DATABASE_URL`) points one process elsewhere, `RUN_DATABASE=postgres` puts them all on
    a local PostgreSQL."""
    urls = local_postgres_urls() if os.environ.get("RUN_DATABASE") == "postgres" else {}
    for name in DATABASE_OWNERS:
        given = os.environ.get(f"{name.upper()}_DATABASE_URL")
        if given:
            urls[name] = given
    platform = Platform(
        var_dir=ROOT / "var",
        ports=Ports(
            gateway=int(os.environ.get("GATEWAY_PORT", "8080")),
            test_psp=int(os.environ.get("TEST_PSP_PORT", "8190")),
        ),
        kafka_bootstrap=os.environ.get("KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
        database_urls=urls,
        echo=True,
    )
    stopping = False
    started = False

    def on_signal(*_: object) -> None:
        nonlocal stopping
        stopping = True
        if not started:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        platform.start(timeout=180)
        started = True
        print(f"\nThe billing platform is ready at {platform.gateway_url}  (GET /readyz answers 200)")
        print(f"Demo API client: {platform.var / 'demo-credentials.json'}")
        print(f"Demo token (15 min): {platform.admin_token()}")
        print(
            f"API docs: {platform.gateway_url}/api/v1/docs   Logs: {platform.logs}/",
            "  Ctrl-C stops everything.\n",
            flush=True,
        )
        while not stopping:
            for name in platform.restart_dead():
                print(f"[run] {name} exited; restarted it (logs in {platform.logs}/{name}.log)", flush=True)
            time.sleep(0.5)
    except (Exception, KeyboardInterrupt) as exc:
        print(f"[run] failed: {exc or type(exc).__name__}", file=sys.stderr, flush=True)
        platform.stop()
        sys.exit(1)
    print("[run] stopping…", flush=True)
    platform.stop()


if __name__ == "__main__":
    main()
