"""Fixtures of the orders service's tests: a migrated PostgreSQL database per test and the app on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from billing_devtools.testing.tokens import TokenFactory
from billing_shared.db.migrate import migrate
from billing_shared.web.context import deps_of
from orders.app import create_app
from orders.config import OrdersSettings


@pytest.fixture()
def orders_db_url(pg_database: str) -> str:
    """A fresh database with the orders schema and its seeds (ISO 4217 currencies, two billing cycles)."""
    migrate("orders", pg_database)
    return pg_database


@pytest.fixture()
def app(orders_db_url: str, tokens: TokenFactory) -> Iterator[Flask]:
    settings = OrdersSettings(database_url=orders_db_url, projection_wait_seconds=1.0)
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
    """Headers of a token with only the given scopes: `bearer("catalog:read")`."""

    def make(*scopes: str, customer_id: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens.token(' '.join(scopes), customer_id=customer_id)}"}

    return make


@pytest.fixture()
def make_product(client: FlaskClient, admin: dict[str, str]) -> Callable[..., dict[str, Any]]:
    """Create a product through the API (prices in minor units, e.g. `prices={"USD": 1999}`)."""

    def make(prices: dict[str, int] | None = None, **over: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": "Widget",
            "taxCategory": "standard",
            "prices": [{"currency": c, "unitPrice": a} for c, a in (prices or {"USD": 1999}).items()],
        } | over
        r = client.post("/api/v1/Products", json=body, headers=admin)
        assert r.status_code == 201, r.json
        product: dict[str, Any] = r.json
        return product

    return make
