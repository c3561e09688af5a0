"""The real PostgreSQL and Kafka for tests, started through deploy/local/ unless the environment
names them (`TEST_POSTGRES_URL`, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres, and
`TEST_KAFKA_BOOTSTRAP`). The test broker (19092) and database (55433) are separate from `make run`'s.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import uuid
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from billing_devtools.localstack import ROOT

TEST_KAFKA_PORT = os.environ.get("TEST_KAFKA_PORT", "19092")
TEST_PG_PORT = os.environ.get("TEST_PG_PORT", "55433")


def _script(name: str, *args: str, env: dict[str, str]) -> str:
    res = subprocess.run(
        [str(ROOT / "deploy/local" / name), *args],
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if res.returncode != 0:
        raise RuntimeError(
            f"deploy/local/{name} {' '.join(args)} failed:\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}"
        )
    return res.stdout.strip()


def kafka_env() -> dict[str, str]:
    return {
        "KAFKA_PORT": TEST_KAFKA_PORT,
        "KAFKA_CONTROLLER_PORT": str(int(TEST_KAFKA_PORT) + 1),
        "KAFKA_DATA_DIR": str(ROOT / "var/test-kafka"),
    }


def pg_env() -> dict[str, str]:
    return {"PG_PORT": TEST_PG_PORT, "PG_DATA_DIR": str(ROOT / "var/test-postgres")}


def _ensure(script: str, env: dict[str, str]) -> bool:
    """Start it through deploy/local unless it already runs; True when started here."""
    status = subprocess.run(
        [str(ROOT / "deploy/local" / script), "status"], env=os.environ | env, capture_output=True
    )
    if status.returncode == 0:
        return False
    _script(script, "start", env=env)
    return True


def start_kafka(*, stop_at_exit: bool = False) -> tuple[str, bool]:
    """(bootstrap, started_here). `stop_at_exit`: a script (a bench) stops what it started."""
    given = os.environ.get("TEST_KAFKA_BOOTSTRAP")
    if given:
        return given, False
    started = _ensure("kafka.sh", kafka_env())
    if started and stop_at_exit:
        atexit.register(stop_kafka)
    return f"127.0.0.1:{TEST_KAFKA_PORT}", started


def stop_kafka() -> None:
    _script("kafka.sh", "stop", env=kafka_env())


def start_postgres(*, stop_at_exit: bool = False) -> tuple[str, bool]:
    """(admin URL of the `postgres` database, started_here)."""
    given = os.environ.get("TEST_POSTGRES_URL")
    if given:
        return given, False
    started = _ensure("postgres.sh", pg_env())
    if started and stop_at_exit:
        atexit.register(stop_postgres)
    return f"postgresql+psycopg://postgres@127.0.0.1:{TEST_PG_PORT}/postgres", started


def stop_postgres() -> None:
    _script("postgres.sh", "stop", env=pg_env())


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_database(admin_url: str, prefix: str) -> str:
    """A fresh, uniquely named database; returns its SQLAlchemy URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_dsn(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(_dsn(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_url(tmp: Path, name: str) -> str:
    return f"sqlite:///{tmp / (name + '.db')}"
