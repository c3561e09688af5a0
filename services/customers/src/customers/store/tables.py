"""The customers database: its own tables plus the kit's (outbox, inbox, idempotency keys)."""

from __future__ import annotations

import sqlalchemy as sa

from billing_shared.db.columns import currency, document, identity, integer, moment, reference, stamps, text
from billing_shared.db.tables import add_kit_tables

metadata = sa.MetaData()
kit_tables = add_kit_tables(metadata)

customers = sa.Table(
    "customers",
    metadata,
    identity(),
    text("name", 200),
    text("email", 320),
    text("email_normalized", 320),
    document("billing_address", nullable=True),
    text("tax_id", 64, nullable=True),
    currency("preferred_currency", nullable=True),
    text("preferred_locale", 8, nullable=True),
    document("metadata"),
    reference("default_payment_method_id", nullable=True),
    integer("default_method_version", server_default="0"),
    *stamps(),
)
sa.Index("ix_customers_email_normalized", customers.c.email_normalized)

customer_references = sa.Table(
    "customer_references",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    reference("customer_id", index=True),
    text("kind", 30),
    text("ref_id", 64),
    moment("created_at"),
    sa.UniqueConstraint("kind", "ref_id", name="uq_customer_references_kind_ref"),
)

# The customer's credit per currency as invoicing keeps it (CustomerBalanceChanged): positive =
# owed to the customer; the highest movement count seen wins, so a replay never lowers it.
customer_credit_balances = sa.Table(
    "customer_credit_balances",
    metadata,
    reference("customer_id"),
    currency(),
    sa.Column("balance", sa.BigInteger, nullable=False),
    integer("version"),
    moment("updated_at"),
    sa.PrimaryKeyConstraint("customer_id", "currency"),
)
