from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from billing_shared.db.migrate import upgrade
from billing_shared.testing.tokens import TokenFactory
from billing_shared.web.app import create_service_app
from customers.api.customers import blp
from customers.cli import MIGRATIONS
from customers.config import CustomersSettings
from customers.store.database import open_database


@pytest.fixture()
def customers_db_url(pg_database: str) -> str:
    upgrade(MIGRATIONS, pg_database)
    return pg_database


@pytest.fixture()
def app(customers_db_url: str, tokens: TokenFactory) -> Iterator[Flask]:
    settings = CustomersSettings(database_url=customers_db_url)
    db = open_database(customers_db_url)
    yield create_service_app(
        settings=settings, db=db, blueprints=[blp], title="Customers", verifier=tokens.verifier()
    )
    db.dispose()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def admin(tokens: TokenFactory) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.token()}"}
