"""The customers database: its own tables plus the kit's (outbox, inbox, idempotency keys)."""

from __future__ import annotations

import sqlalchemy as sa

from billing_shared.db.tables import add_kit_tables

metadata = sa.MetaData()
kit_tables = add_kit_tables(metadata)

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("email_normalized", sa.String(320), nullable=False),
    sa.Column("billing_address", sa.JSON, nullable=True),
    sa.Column("tax_id", sa.String(64), nullable=True),
    sa.Column("preferred_currency", sa.String(3), nullable=True),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Index("ix_customers_email_normalized", customers.c.email_normalized)

customer_references = sa.Table(
    "customer_references",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("customer_id", sa.String(40), nullable=False, index=True),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("ref_id", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("kind", "ref_id", name="uq_customer_references_kind_ref"),
)
