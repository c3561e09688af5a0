"""Fixtures of the invoicing service's tests: a migrated PostgreSQL database per test and the app on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from documents_testing import Inbox, mail_through, smtp_inbox
from flask import Flask
from flask.testing import FlaskClient

from billing_devtools.testing.tokens import TokenFactory
from billing_shared.db.migrate import migrate
from billing_shared.web.context import deps_of
from invoicing.app import create_app
from invoicing.config import InvoicingSettings


@pytest.fixture()
def invoicing_db_url(pg_database: str) -> str:
    migrate("invoicing", pg_database)
    return pg_database


@pytest.fixture()
def app(invoicing_db_url: str, tokens: TokenFactory, tmp_path: Path) -> Iterator[Flask]:
    settings = InvoicingSettings(
        database_url=invoicing_db_url,
        projection_wait_seconds=0.5,
        var_dir=str(tmp_path / "var"),  # the .eml sink and the hosted-link secret
        smtp_url="",  # the sink, whatever the shell exports; a test sets its own server
    )
    app = create_app(settings, verifier=tokens.verifier())
    yield app
    deps_of(app).db.dispose()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def admin(tokens: TokenFactory) -> dict[str, str]:
    """Headers of a client holding every scope."""
    return {"Authorization": f"Bearer {tokens.token()}"}


@pytest.fixture()
def bearer(tokens: TokenFactory) -> Callable[..., dict[str, str]]:
    """Headers of a token with only the given scopes: `bearer("invoices:read")`."""

    def make(*scopes: str, customer_id: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens.token(' '.join(scopes), customer_id=customer_id)}"}

    return make


@pytest.fixture()
def inbox(app: Flask) -> Iterator[Inbox]:
    """The app sends to a real SMTP server running in this process."""
    for box in smtp_inbox():
        mail_through(app, box.url)
        yield box
