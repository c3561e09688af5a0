"""The customers database: its own tables plus the kit's (outbox, inbox, idempotency keys)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Index, Integer, MetaData, String, Table, UniqueConstraint

from billing_shared.db.tables import add_kit_tables

metadata = MetaData()
kit_tables = add_kit_tables(metadata)

customers = Table(
    "customers",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("email_normalized", String(320), nullable=False),
    Column("billing_address", JSON, nullable=True),
    Column("tax_id", String(64), nullable=True),
    Column("preferred_currency", String(3), nullable=True),
    Column("metadata", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_customers_email_normalized", customers.c.email_normalized)

customer_references = Table(
    "customer_references",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(40), nullable=False, index=True),
    Column("kind", String(30), nullable=False),
    Column("ref_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("kind", "ref_id", name="uq_customer_references_kind_ref"),
)
