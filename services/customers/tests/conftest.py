from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from billing_devtools.testing.tokens import TokenFactory
from billing_shared.db.migrate import migrate
from billing_shared.web.context import deps_of
from customers.app import create_app
from customers.config import CustomersSettings


@pytest.fixture()
def customers_db_url(pg_database: str) -> str:
    migrate("customers", pg_database)
    return pg_database


@pytest.fixture()
def app(customers_db_url: str, tokens: TokenFactory) -> Iterator[Flask]:
    app = create_app(CustomersSettings(database_url=customers_db_url), verifier=tokens.verifier())
    yield app
    deps_of(app).db.dispose()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def admin(tokens: TokenFactory) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.token()}"}
