"""The kit's own tables, which every service database holds: outbox, inbox, idempotency keys.

They are defined on the service's MetaData by `add_kit_tables`, so one Alembic history per
service creates them together with the service's own tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from .columns import document, integer, moment, text

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
        text("event_id", 64, unique=True),
        text("topic", 200),
        text("key", 100),
        text("type", 200),
        text("source", 200),
        text("subject", 200, nullable=True),
        text("time", 40),
        text("dataschema", 300),
        sa.Column("data", sa.Text, nullable=False),
        text("correlation_id", 128, nullable=True),
        moment("created_at"),
        moment("sent_at", nullable=True),
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
        text("topic", 200),
        text("type", 200),
        moment("processed_at"),
    )
    idempotency = sa.Table(
        "idempotency_keys",
        metadata,
        sa.Column("client_id", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        text("method", 10),
        text("path", 500),
        text("request_hash", 64),
        sa.Column("state", sa.String(16), nullable=False),  # in_flight | done
        text("lock_token", 32),
        moment("locked_at"),
        integer("response_status", nullable=True),
        document("response_headers", nullable=True),
        sa.Column("response_body", sa.Text, nullable=True),
        moment("created_at"),
        moment("expires_at", index=True),
    )
    return KitTables(outbox=outbox, inbox=inbox, idempotency=idempotency)
