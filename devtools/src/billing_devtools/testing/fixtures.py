"""pytest fixtures every package's tests use (loaded from the root conftest.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from billing_devtools.testing import infra
from billing_devtools.testing.tokens import TokenFactory

KEEP = os.environ.get("KEEP_TEST_INFRA") == "1"


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    from billing_shared.kafka.topics import ensure_topics

    bootstrap, started = infra.start_kafka()
    ensure_topics(bootstrap, partitions=3, timeout=120)
    yield bootstrap
    if started and not KEEP:
        infra.stop_kafka()


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    url, started = infra.start_postgres()
    yield url
    if started and not KEEP:
        infra.stop_postgres()


@pytest.fixture()
def pg_database(postgres_admin_url: str) -> Iterator[str]:
    """A fresh empty PostgreSQL database for one test."""
    url = infra.create_database(postgres_admin_url, "t")
    yield url
    infra.drop_database(postgres_admin_url, url)


@pytest.fixture(scope="session")
def tokens() -> TokenFactory:
    return TokenFactory()
