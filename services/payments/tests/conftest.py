"""Fixtures of the payments service's tests: a migrated PostgreSQL database per test, the app on it
with an in-memory gateway (`fake`), and orders made known as OrderCreated would make them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fake_provider import FakeProvider
from flask import Flask
from flask.testing import FlaskClient
from payments_testing import HOSTED_SECRET, deliver, order_created
from sqlalchemy import select
from stripe_mock_testing import recorder, stripe_mock_url  # noqa: F401 (fixtures for stripe-mock tests)

from billing_devtools.testing.tokens import TokenFactory
from billing_shared.db.migrate import migrate
from billing_shared.web.context import deps_of
from payments.app import create_app
from payments.config import PaymentsSettings
from payments.store.tables import kit_tables


@pytest.fixture()
def payments_db_url(pg_database: str) -> str:
    migrate("payments", pg_database)
    return pg_database


@pytest.fixture()
def fake() -> FakeProvider:
    return FakeProvider()


@pytest.fixture()
def settings(payments_db_url: str) -> PaymentsSettings:
    return PaymentsSettings(
        database_url=payments_db_url, projection_wait_seconds=1.0, hosted_invoice_secret=HOSTED_SECRET
    )


@pytest.fixture()
def app(settings: PaymentsSettings, fake: FakeProvider, tokens: TokenFactory) -> Iterator[Flask]:
    app = create_app(settings, providers={"test": fake}, verifier=tokens.verifier())
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
def know_order(app: Flask) -> Callable[..., dict[str, Any]]:
    """What OrderCreated would have told payments: `know_order(total=6296, currency="GBP")`."""

    def make(total: int = 6296, currency: str = "GBP", customer_id: str | None = None) -> dict[str, Any]:
        event = order_created(total=total, currency=currency, customer_id=customer_id)
        deliver(app, event)
        return event.data

    return make


@pytest.fixture()
def outbox(app: Flask) -> Callable[[str], list[dict[str, Any]]]:
    """The data of every event of one name in the outbox, in order: `outbox("PaymentSucceeded")`.
    Payments publishes its events as v2 (`outbox(name, version=1)` would find none)."""

    def read(name: str, version: int = 2) -> list[dict[str, Any]]:
        with deps_of(app).db.engine.connect() as conn:
            rows = conn.execute(
                select(kit_tables.outbox.c.data)
                .where(kit_tables.outbox.c.type == f"billing.{name}.v{version}")
                .order_by(kit_tables.outbox.c.id)
            )
            return [json.loads(r.data) for r in rows]

    return read
