"""`/healthz` (the process is alive), `/readyz` (its database and Kafka answer), `/metrics`."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from flask import Blueprint, Flask, Response, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client import multiprocess as prom_multiprocess

from billing_shared.db.uow import Database
from billing_shared.errors import Problem
from billing_shared.kafka.clients import reachable

Check = Callable[[], None]


class ReadinessCache:
    """Readiness probes come often; checking Kafka on each would cost a TCP handshake."""

    def __init__(self, checks: dict[str, Check], ttl: float = 2.0) -> None:
        self.checks = checks
        self.ttl = ttl
        self._until = 0.0
        self._failed: list[str] = []

    def failed(self) -> list[str]:
        now = time.monotonic()
        if now >= self._until:
            failed = []
            for name, check in self.checks.items():
                try:
                    check()
                except Exception:
                    failed.append(name)
            self._failed = failed
            self._until = now + (self.ttl if not failed else 0.5)
        return self._failed


def standard_checks(db: Database, kafka_bootstrap: str) -> dict[str, Check]:
    def kafka() -> None:
        if not reachable(kafka_bootstrap):
            raise ConnectionError(kafka_bootstrap)

    return {"database": db.ping, "kafka": kafka}


def metrics_response() -> Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        prom_multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), content_type=CONTENT_TYPE_LATEST)


def blueprint(readiness: ReadinessCache) -> Blueprint:
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    @bp.get("/readyz")
    def readyz() -> Response:
        failed = readiness.failed()
        if failed:
            raise Problem(503, f"Not ready: {', '.join(failed)} unreachable.", headers={"Retry-After": "1"})
        return jsonify(status="ready")

    bp.add_url_rule("/metrics", "metrics", metrics_response)
    return bp


def register(app: Flask, readiness: ReadinessCache) -> None:
    app.register_blueprint(blueprint(readiness))
