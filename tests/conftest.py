"""The whole platform as real processes on PostgreSQL and the test Kafka broker, on free ports,
beside (never instead of) a `make run` on this machine."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from billing_devtools.localstack import Platform, Ports
from billing_devtools.testing import infra

sys.path.insert(0, str(Path(__file__).parent))
from helpers import Client


@pytest.fixture(scope="session")
def platform(
    tmp_path_factory: pytest.TempPathFactory, postgres_admin_url: str, kafka_bootstrap: str
) -> Iterator[Platform]:
    var = tmp_path_factory.mktemp("platform") / "var"
    urls = {
        name: infra.create_database(postgres_admin_url, name)
        for name in ("customers", "orders", "payments", "invoicing", "gateway")
    }
    p = Platform(var_dir=var, ports=Ports.free(), kafka_bootstrap=kafka_bootstrap, database_urls=urls)
    try:
        p.start(timeout=120)
    except Exception:
        p.stop()
        for log in sorted((var / "log").glob("*.log")):
            print(f"--- {log.name}\n{log.read_text()[-3000:]}")
        raise
    yield p
    p.stop()
    for url in urls.values():
        infra.drop_database(postgres_admin_url, url)


@pytest.fixture(scope="session")
def api(platform: Platform) -> Client:
    return Client(platform)
