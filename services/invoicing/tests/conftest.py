"""Fixtures of the invoicing service's tests: a migrated PostgreSQL database per test and the app on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

import invoicing
from billing_shared.db.migrate import upgrade
from billing_shared.testing.tokens import TokenFactory
from billing_shared.web.app import create_service_app
from invoicing.api.credit_notes import blp as credit_notes_blp
from invoicing.api.documents import blp as invoice_documents_blp
from invoicing.api.invoices import blp as invoices_blp
from invoicing.api.subscriptions import blp as subscriptions_blp
from invoicing.config import InvoicingSettings
from invoicing.store.database import open_database

MIGRATIONS_DIR = Path(invoicing.__file__).parent / "migrations"


@pytest.fixture()
def invoicing_db_url(pg_database: str) -> str:
    upgrade(MIGRATIONS_DIR, pg_database)
    return pg_database


@pytest.fixture()
def app(invoicing_db_url: str, tokens: TokenFactory, tmp_path: Path) -> Iterator[Flask]:
    db = open_database(invoicing_db_url)
    yield create_service_app(
        settings=InvoicingSettings(
            database_url=invoicing_db_url,
            projection_wait_seconds=0.5,
            var_dir=str(tmp_path / "var"),  # the .eml sink and the hosted-link secret
            smtp_url="",  # the sink, whatever the shell exports; a test sets its own server
        ),
        db=db,
        blueprints=[invoices_blp, invoice_documents_blp, credit_notes_blp, subscriptions_blp],
        title="Invoicing",
        verifier=tokens.verifier(),
    )
    db.dispose()


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
