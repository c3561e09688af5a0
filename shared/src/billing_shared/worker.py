"""The long-running worker every service runs: the outbox relay, the event consumer (inbox),
housekeeping, and `/healthz` `/readyz` `/metrics` on a small HTTP port of its own.

If any loop dies the process exits non-zero, so its supervisor (make run, Kubernetes) restarts it.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypeVar

from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest

from billing_shared import faults
from billing_shared.deps import BaseDeps
from billing_shared.inbox.consumer import EventConsumer, ServiceHandler, bind
from billing_shared.kafka import clients
from billing_shared.logs import configure_logging
from billing_shared.outbox import relay, store
from billing_shared.web.health import ReadinessCache, standard_checks
from billing_shared.web.transaction import purge_expired

# Read every 15 s by the worker: what the outbox alerts watch (docs/operations.md).
OUTBOX_UNSENT = Gauge("outbox_unsent_events", "Outbox rows not yet published to Kafka", ["service"])
OUTBOX_OLDEST = Gauge(
    "outbox_oldest_unsent_age_seconds", "Age of the oldest outbox row not yet published", ["service"]
)

log = logging.getLogger(__name__)

Periodic = tuple[float, Callable[[], object]]
D = TypeVar("D", bound=BaseDeps)


def _health_server(
    host: str, port: int, readiness: ReadinessCache, loops: dict[str, threading.Thread]
) -> ThreadingHTTPServer:
    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/healthz":
                dead = [n for n, t in loops.items() if not t.is_alive()]
                self._send(500 if dead else 200, {"status": "dead" if dead else "ok", "dead": dead})
            elif self.path == "/readyz":
                failed = readiness.failed()
                self._send(
                    503 if failed else 200, {"status": "not ready" if failed else "ready", "failed": failed}
                )
            elif self.path == "/metrics":
                body = generate_latest()
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPE_LATEST)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self._send(404, {"status": 404})

        def _send(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Health)
    server.daemon_threads = True
    return server


def run_worker(
    deps: D,
    *,
    handlers: Mapping[str, ServiceHandler[D]],
    topics: list[str],
    periodic: list[Periodic] | None = None,
) -> None:
    """Run until SIGTERM/SIGINT; `periodic`: (every seconds, task) the worker also runs."""
    settings, db = deps.settings, deps.db
    configure_logging(settings.service_name + "-worker", settings.log_level)
    faults.arm(settings.billing_faults, settings.environment)
    health_host, health_port = settings.host, settings.worker_health_port
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    service = settings.service_name
    loops: dict[str, threading.Thread] = {}
    crashed: list[str] = []

    def loop(name: str, target: Callable[[], None]) -> None:
        def guarded() -> None:
            try:
                target()
            except Exception:
                log.exception("worker loop died", extra={"loop": name})
                crashed.append(name)
                stop.set()

        loops[name] = threading.Thread(target=guarded, name=name, daemon=True)

    loop("relay", lambda: relay.run_forever(db, settings.kafka_bootstrap, stop))
    if topics:

        def consume() -> None:
            consumer = clients.consumer(
                settings.kafka_bootstrap,
                service,
                topics,
                client_id=f"{service}-worker",
                max_poll_records=settings.kafka_max_poll_records,
            )
            dlq = clients.producer(settings.kafka_bootstrap, client_id=f"{service}-dlq")
            try:
                EventConsumer(db, consumer, dlq, name=service, handlers=bind(handlers, deps)).run(stop)
            finally:
                consumer.close()
                dlq.close(timeout=5)

        loop("consumer", consume)

    def measure_backlog() -> None:
        with db.engine.connect() as conn:
            count, age = store.backlog(conn, db.kit_tables.outbox)
        OUTBOX_UNSENT.labels(service).set(count)
        OUTBOX_OLDEST.labels(service).set(age)

    tasks: list[Periodic] = [
        (3600.0, lambda: purge_expired(db)),
        (15.0, measure_backlog),
        *(periodic or []),
    ]
    for i, (every, fn) in enumerate(tasks):

        def tick(every: float = every, fn: Callable[[], object] = fn) -> None:
            while not stop.wait(every):
                try:
                    fn()
                except Exception:
                    log.exception("periodic task failed")

        loop(f"periodic-{i}", tick)

    server = _health_server(
        health_host, health_port, ReadinessCache(standard_checks(db, settings.kafka_bootstrap)), loops
    )
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    for t in loops.values():
        t.start()
    log.info("worker started", extra={"loops": list(loops), "health_port": health_port})
    stop.wait()
    server.shutdown()
    for t in loops.values():
        t.join(timeout=10)
    db.dispose()
    sys.exit(1 if crashed else 0)
