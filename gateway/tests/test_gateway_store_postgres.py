"""The gateway's store and migrations on the real PostgreSQL (the deployment database)."""

from __future__ import annotations

import pytest
import requests
from gateway_testkit import GatewayFactory

from gateway.migrate import upgrade
from gateway.store import Store

pytestmark = pytest.mark.integration


def test_store_on_postgres(pg_database: str) -> None:
    upgrade(pg_database)
    upgrade(pg_database)  # idempotent
    store = Store(pg_database)
    try:
        store.ping()
        assert store.ensure_keys("ES256") and not store.ensure_keys("ES256")
        current, nxt = store.rotate_keys("ES256")
        states = {k.kid: k.state for k in store.list_keys()}
        assert states[current] == "current" and states[nxt] == "next"
        assert sorted(states.values()) == ["current", "next", "retired"]
        client, _secret = store.create_client("pg", frozenset({"customers:read"}), "cli_pg")
        assert store.get_client("cli_pg") == client
        assert store.disable_client("cli_pg") and store.get_client("cli_pg").disabled  # type: ignore[union-attr]
    finally:
        store.close()


def test_gateway_serves_tokens_from_postgres(make_gateway: GatewayFactory, pg_database: str) -> None:
    gw = make_gateway(database_url=pg_database)
    assert gw.get("/api/v1/Customers/cus_1", gw.token()).status_code == 200
    assert requests.get(f"{gw.url}/readyz", timeout=5).json()["checks"]["database"] == "ok"
