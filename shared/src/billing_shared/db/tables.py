"""The kit's own tables, which every service database holds: outbox, inbox, idempotency keys.

They are defined on the service's MetaData by `add_kit_tables`, so one Alembic history per
service creates them together with the service's own tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for a long-lived outbox.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


@dataclass(frozen=True)
class KitTables:
    outbox: sa.Table
    inbox: sa.Table
    idempotency: sa.Table


def add_kit_tables(metadata: sa.MetaData) -> KitTables:
    outbox = sa.Table(
        "outbox",
        metadata,
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("time", sa.String(40), nullable=False),
        sa.Column("dataschema", sa.String(300), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("correlation_id", sa.String(128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    sa.Index(
        "ix_outbox_unsent",
        outbox.c.id,
        postgresql_where=outbox.c.sent_at.is_(None),
        sqlite_where=outbox.c.sent_at.is_(None),
    )
    inbox = sa.Table(
        "inbox",
        metadata,
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )
    idempotency = sa.Table(
        "idempotency_keys",
        metadata,
        sa.Column("client_id", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),  # in_flight | done
        sa.Column("lock_token", sa.String(32), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("response_status", sa.Integer, nullable=True),
        sa.Column("response_headers", sa.JSON, nullable=True),
        sa.Column("response_body", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    return KitTables(outbox=outbox, inbox=inbox, idempotency=idempotency)
