"""Every service's Alembic history builds exactly the tables its code declares, on PostgreSQL and
on SQLite: a column added to `store/tables.py` without a migration (or the other way round) fails
here, not in production."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine

from billing_shared.db.migrate import migrate

SERVICES = ["customers", "orders", "payments", "invoicing"]


def differences(url: str, metadata: MetaData) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(ctx, metadata))
    finally:
        engine.dispose()


def tables_of(service: str) -> MetaData:
    metadata: MetaData = importlib.import_module(f"{service}.store.tables").metadata
    return metadata


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_equal_the_tables_on_postgresql(service: str, pg_database: str) -> None:
    migrate(service, pg_database)
    assert differences(pg_database, tables_of(service)) == []


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_equal_the_tables_on_sqlite(service: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / f'{service}.sqlite3'}"
    migrate(service, url)
    assert differences(url, tables_of(service)) == []
