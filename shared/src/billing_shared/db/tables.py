"""The kit's own tables, which every service database holds: outbox, inbox, idempotency keys.

They are defined on the service's MetaData by `add_kit_tables`, so one Alembic history per
service creates them together with the service's own tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for a long-lived outbox.
BigId = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class KitTables:
    outbox: Table
    inbox: Table
    idempotency: Table


def add_kit_tables(metadata: MetaData) -> KitTables:
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(100), nullable=False),
        Column("type", String(200), nullable=False),
        Column("source", String(200), nullable=False),
        Column("subject", String(200), nullable=True),
        Column("time", String(40), nullable=False),
        Column("dataschema", String(300), nullable=False),
        Column("data", Text, nullable=False),
        Column("correlation_id", String(128), nullable=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("sent_at", DateTime(timezone=True), nullable=True),
    )
    Index(
        "ix_outbox_unsent",
        outbox.c.id,
        postgresql_where=outbox.c.sent_at.is_(None),
        sqlite_where=outbox.c.sent_at.is_(None),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(64), primary_key=True),
        Column("topic", String(200), nullable=False),
        Column("type", String(200), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )
    idempotency = Table(
        "idempotency_keys",
        metadata,
        Column("client_id", String(200), primary_key=True),
        Column("key", String(255), primary_key=True),
        Column("method", String(10), nullable=False),
        Column("path", String(500), nullable=False),
        Column("request_hash", String(64), nullable=False),
        Column("state", String(16), nullable=False),  # in_flight | done
        Column("lock_token", String(32), nullable=False),
        Column("locked_at", DateTime(timezone=True), nullable=False),
        Column("response_status", Integer, nullable=True),
        Column("response_headers", JSON, nullable=True),
        Column("response_body", Text, nullable=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
    )
    return KitTables(outbox=outbox, inbox=inbox, idempotency=idempotency)
