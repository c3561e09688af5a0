"""The invoicing database: the order projection, invoices, the gapless number counters,
plus the kit's tables (outbox, inbox, idempotency keys)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, DateTime, Integer, MetaData, String, Table

from billing_shared.db.tables import add_kit_tables

metadata = MetaData()
kit = add_kit_tables(metadata)

# What invoicing knows of orders, from OrderCreated / OrderPaid / OrderCancelled: the whole
# priced order as orders published it, so a draft can be made from it at any later time.
order_projection = Table(
    "order_projection",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(40), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),
    Column("priced", JSON, nullable=False),  # PricedOrder.to_dict() data, as in OrderCreated
    Column("payment_intent_id", String(40), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("order_id", String(40), nullable=False, unique=True),  # one invoice per order, ever
    Column("customer_id", String(40), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("number", String(40), nullable=True, unique=True),
    Column("subtotal", BigInteger, nullable=False),
    Column("discount_total", BigInteger, nullable=False),
    Column("tax_total", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("amount_paid", BigInteger, nullable=False),
    Column("priced", JSON, nullable=False),  # the order's lines and totals, copied to the cent
    Column("payment_intent_id", String(40), nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("finalized_at", DateTime(timezone=True), nullable=True),
    Column("paid_at", DateTime(timezone=True), nullable=True),
    Column("voided_at", DateTime(timezone=True), nullable=True),
    Column("marked_uncollectible_at", DateTime(timezone=True), nullable=True),
)

# One row per (series, year): the last number given. Locked FOR UPDATE by the finalizing
# transaction, so numbers are gapless (a rollback undoes the increment) and never duplicated.
invoice_number_counters = Table(
    "invoice_number_counters",
    metadata,
    Column("series", String(20), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last_number", BigInteger, nullable=False),
)

# A PaymentSucceeded that arrived before the order's OrderCreated (two topics, no order between
# them): kept until the order is known, then the draft is made and settled from it.
early_payments = Table(
    "early_payments",
    metadata,
    Column("order_id", String(40), primary_key=True),
    Column("payment_intent_id", String(40), nullable=True),
    Column("amount", BigInteger, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)
