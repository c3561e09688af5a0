"""The Flask app factory every service uses: problem+json, correlation ids, metrics, health,
auth, the database, and flask-smorest for schemas and the generated OpenAPI document."""

from __future__ import annotations

import time
from collections.abc import Iterable

from flask import Flask, Response, g, request
from flask_smorest import Blueprint
from prometheus_client import Histogram

from billing_shared import correlation, faults
from billing_shared.auth.flask import init_auth
from billing_shared.auth.verifier import TokenVerifier
from billing_shared.deps import BaseDeps
from billing_shared.logs import configure_logging
from billing_shared.web import context, health, problems

REQUESTS = Histogram(
    "http_request_duration_seconds",
    "HTTP requests by endpoint and status",
    ["service", "method", "endpoint", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5),
)


def create_service_app(
    deps: BaseDeps,
    *,
    blueprints: Iterable[Blueprint],
    title: str,
    verifier: TokenVerifier | None = None,
) -> Flask:
    """`verifier` replaces the one built from the settings (tests: a key only the test knows)."""
    settings, db = deps.settings, deps.db
    configure_logging(settings.service_name, settings.log_level)
    faults.arm(settings.billing_faults, settings.environment)
    app = Flask(settings.service_name)
    app.config.update(
        API_TITLE=title,
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        JSON_SORT_KEYS=False,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    context.install(app, deps)
    init_auth(app, verifier or TokenVerifier.from_settings(settings))
    problems.install(app)
    api = problems.ProblemApi(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    for bp in blueprints:
        api.register_blueprint(bp)
    health.register(app, health.ReadinessCache(health.standard_checks(db, settings.kafka_bootstrap)))
    _install_request_context(app, settings.service_name)
    return app


def _install_request_context(app: Flask, service: str) -> None:
    @app.before_request
    def _start() -> None:
        rid = correlation.accept(request.headers.get(correlation.HEADER))
        g.request_id = rid
        g.correlation_token = correlation.set_current(rid)
        g.started = time.perf_counter()

    @app.after_request
    def _finish(resp: Response) -> Response:
        resp.headers[correlation.HEADER] = g.get("request_id", "")
        started = g.get("started")
        if started is not None and request.url_rule is not None:
            REQUESTS.labels(service, request.method, request.url_rule.rule, resp.status_code).observe(
                time.perf_counter() - started
            )
        return resp

    @app.teardown_request
    def _teardown(_exc: BaseException | None) -> None:
        token = g.pop("correlation_token", None)
        if token is not None:
            correlation.reset(token)
