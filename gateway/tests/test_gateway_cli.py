"""The `gateway` command: migrate, clients, keys, demo-client, and `serve` as a real process."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from gateway_testkit import Stub, free_port

from billing_shared.auth.scopes import ALL_SCOPES


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.endswith("_URL") and not k.startswith("GATEWAY_")}
    e["DATABASE_URL"] = f"sqlite:///{tmp_path}/var/gateway.db"
    return e


def test_migrate_is_idempotent_and_uses_wal(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "migrate").returncode == 0
    assert run(env, "migrate").returncode == 0
    import sqlite3

    with sqlite3.connect(tmp_path / "var" / "gateway.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT version_num FROM gateway_alembic_version").fetchone()[0] == "0001"


def test_clients_create_list_disable(env: dict[str, str]) -> None:
    created = run(
        env, "clients", "create", "billing-ui", "--scopes", "customers:read orders:read", "--id", "cli_ui"
    )
    assert created.returncode == 0, created.stderr
    assert "client_id:     cli_ui" in created.stdout and "client_secret: " in created.stdout
    listed = run(env, "clients", "list").stdout
    assert "cli_ui\tactive" in listed and "customers:read orders:read" in listed
    assert run(env, "clients", "create", "again", "--scopes", "admin", "--id", "cli_ui").returncode == 1
    assert run(env, "clients", "create", "bad", "--scopes", "root").returncode != 0
    assert run(env, "clients", "disable", "cli_ui").returncode == 0
    assert "cli_ui\tdisabled" in run(env, "clients", "list").stdout
    assert run(env, "clients", "disable", "cli_nobody").returncode == 1


def test_keys_rotate_and_list(env: dict[str, str]) -> None:
    first = run(env, "keys", "rotate")
    assert first.returncode == 0, first.stderr
    rows = [line.split("\t") for line in run(env, "keys", "list").stdout.splitlines()]
    assert sorted(r[2] for r in rows) == ["current", "next", "retired"]
    run(env, "keys", "rotate")
    rows = [line.split("\t") for line in run(env, "keys", "list").stdout.splitlines()]
    assert sorted(r[2] for r in rows) == ["current", "next", "retired", "retired"]


def test_demo_client_is_idempotent(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "var" / "demo-credentials.json"
    assert run(env, "demo-client", "--out", str(out)).returncode == 0
    first = json.loads(out.read_text())
    assert set(first) == {"client_id", "client_secret"}
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert run(env, "demo-client", "--out", str(out)).returncode == 0
    assert json.loads(out.read_text()) == first
    listed = run(env, "clients", "list").stdout
    assert listed.count("\tdemo\t") == 1
    assert " ".join(ALL_SCOPES).split() == listed.split("\t")[-1].split()
    # A disabled (or vanished) client is replaced.
    run(env, "clients", "disable", first["client_id"])
    assert run(env, "demo-client", "--out", str(out)).returncode == 0
    assert json.loads(out.read_text())["client_id"] != first["client_id"]


def test_serve_end_to_end(env: dict[str, str], tmp_path: Path, stub: Stub) -> None:
    port = free_port()
    env |= {"GATEWAY_PORT": str(port), "CUSTOMERS_URL": stub.url, "LOG_LEVEL": "WARNING"}
    creds = tmp_path / "creds.json"
    assert run(env, "demo-client", "--out", str(creds)).returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "gateway did not start"
            time.sleep(0.1)
        assert requests.get(f"{url}/readyz", timeout=5).status_code == 200
        c = json.loads(creds.read_text())
        token = requests.post(
            f"{url}/api/v1/Auth/token",
            data={"grant_type": "client_credentials", **c},
            timeout=10,
        ).json()["access_token"]
        resp = requests.get(
            f"{url}/api/v1/Customers/cus_1", headers={"Authorization": f"Bearer {token}"}, timeout=5
        )
        assert resp.status_code == 200
        kids = {k["kid"] for k in requests.get(f"{url}/.well-known/jwks.json", timeout=5).json()["keys"]}
        assert len(kids) == 2  # serve created current + next
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
    assert proc.returncode == 0
