"""The orders database: catalog, coupons and their redemptions, the customer projection, orders,
plus the kit's tables (outbox, inbox, idempotency keys)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from billing_shared.db.tables import add_kit_tables

metadata = MetaData()
kit_tables = add_kit_tables(metadata)

currencies = Table(
    "currencies",
    metadata,
    Column("code", String(3), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("exponent", Integer, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

billing_cycles = Table(
    "billing_cycles",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("interval_unit", String(10), nullable=False),
    Column("interval_count", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

products = Table(
    "products",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=True),
    Column("tax_category", String(50), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("billing_cycle_id", String(40), ForeignKey("billing_cycles.id"), nullable=True),
    Column("metadata", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

product_prices = Table(
    "product_prices",
    metadata,
    Column("product_id", String(40), ForeignKey("products.id"), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("unit_price", BigInteger, nullable=False),
)

tax_rules = Table(
    "tax_rules",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("country", String(2), nullable=False, index=True),
    Column("region", String(100), nullable=True),
    Column("tax_category", String(50), nullable=True),
    # "country|region|category": at most one ACTIVE rule per scope (partial unique index below)
    Column("scope_key", String(200), nullable=False),
    Column("rate", String(20), nullable=False),  # an exact decimal string, e.g. "0.0725"
    Column("inclusive", Boolean, nullable=False),
    Column("valid_from", DateTime(timezone=True), nullable=True),
    Column("valid_to", DateTime(timezone=True), nullable=True),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("deactivated_at", DateTime(timezone=True), nullable=True),
)
Index(
    "uq_tax_rules_active_scope",
    tax_rules.c.scope_key,
    unique=True,
    postgresql_where=tax_rules.c.active.is_(True),
    sqlite_where=tax_rules.c.active.is_(True),
)

coupons = Table(
    "coupons",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("percent_off", String(20), nullable=True),  # exact decimal string
    Column("amount_off", BigInteger, nullable=True),
    Column("currency", String(3), nullable=True),
    Column("redeem_by", DateTime(timezone=True), nullable=True),
    Column("max_redemptions", Integer, nullable=True),
    Column("times_redeemed", Integer, nullable=False),
    Column("product_ids", JSON, nullable=True),
    Column("duration", String(10), nullable=False),  # once | forever | repeating
    Column("duration_in_cycles", Integer, nullable=True),
    Column("active", Boolean, nullable=False),
    Column("metadata", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

coupon_redemptions = Table(
    "coupon_redemptions",
    metadata,
    Column("coupon_id", String(40), ForeignKey("coupons.id"), primary_key=True),
    Column("order_id", String(40), primary_key=True),
    Column("customer_id", String(40), nullable=False),
    Column("discount", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

customer_projection = Table(
    "customer_projection",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("country", String(2), nullable=True),
    Column("region", String(100), nullable=True),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(40), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("billing_cycle_id", String(40), nullable=True),
    Column("coupon_id", String(40), nullable=True),
    Column("coupon_code", String(64), nullable=True),
    Column("subtotal", BigInteger, nullable=False),
    Column("discount_total", BigInteger, nullable=False),
    Column("tax_total", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("priced", JSON, nullable=False),  # lines + the calculation trace, as priced
    Column("amount_refunded", BigInteger, nullable=False),
    Column("payment_intent_ids", JSON, nullable=False),
    Column("invoice_id", String(40), nullable=True),
    Column("metadata", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("paid_at", DateTime(timezone=True), nullable=True),
    Column("cancelled_at", DateTime(timezone=True), nullable=True),
)
