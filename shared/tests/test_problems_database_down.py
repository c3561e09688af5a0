"""A database that is down or restarting is answered 503 problem+json with Retry-After, which a
client retries; other database errors stay 500. Found by the fault suite: a PostgreSQL restart
under load was answered 500 by customers and invoicing."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.exc import IntegrityError, OperationalError

from billing_shared.web.problems import install


def _app() -> Flask:
    app = Flask(__name__)
    install(app)

    @app.get("/down")
    def down() -> str:
        raise OperationalError("SELECT 1", {}, Exception("the database system is shutting down"))

    @app.get("/bug")
    def bug() -> str:
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    return app


def test_a_database_outage_is_a_503_with_retry_after_and_a_bug_stays_a_500() -> None:
    client = _app().test_client()
    down = client.get("/down")
    assert down.status_code == 503 and down.headers["Retry-After"] == "1"
    assert down.headers["Content-Type"] == "application/problem+json"
    assert down.get_json()["status"] == 503
    bug = client.get("/bug")
    assert bug.status_code == 500 and bug.headers["Content-Type"] == "application/problem+json"
