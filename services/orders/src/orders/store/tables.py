"""The orders database: catalog, coupons and their redemptions, the customer projection, orders,
plus the kit's tables (outbox, inbox, idempotency keys)."""

from __future__ import annotations

import sqlalchemy as sa

from billing_shared.db.tables import add_kit_tables

metadata = sa.MetaData()
kit_tables = add_kit_tables(metadata)

currencies = sa.Table(
    "currencies",
    metadata,
    sa.Column("code", sa.String(3), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("exponent", sa.Integer, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

billing_cycles = sa.Table(
    "billing_cycles",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("interval_unit", sa.String(10), nullable=False),
    sa.Column("interval_count", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

products = sa.Table(
    "products",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("tax_category", sa.String(50), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("billing_cycle_id", sa.String(40), sa.ForeignKey("billing_cycles.id"), nullable=True),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

product_prices = sa.Table(
    "product_prices",
    metadata,
    sa.Column("product_id", sa.String(40), sa.ForeignKey("products.id"), primary_key=True),
    sa.Column("currency", sa.String(3), primary_key=True),
    sa.Column("unit_price", sa.BigInteger, nullable=False),
)

tax_rules = sa.Table(
    "tax_rules",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("country", sa.String(2), nullable=False, index=True),
    sa.Column("region", sa.String(100), nullable=True),
    sa.Column("tax_category", sa.String(50), nullable=True),
    # "country|region|category": at most one ACTIVE rule per scope (partial unique index below)
    sa.Column("scope_key", sa.String(200), nullable=False),
    sa.Column("rate", sa.String(20), nullable=False),  # an exact decimal string, e.g. "0.0725"
    sa.Column("inclusive", sa.Boolean, nullable=False),
    sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
    sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
)
sa.Index(
    "uq_tax_rules_active_scope",
    tax_rules.c.scope_key,
    unique=True,
    postgresql_where=tax_rules.c.active.is_(True),
    sqlite_where=tax_rules.c.active.is_(True),
)

coupons = sa.Table(
    "coupons",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("percent_off", sa.String(20), nullable=True),  # exact decimal string
    sa.Column("amount_off", sa.BigInteger, nullable=True),
    sa.Column("currency", sa.String(3), nullable=True),
    sa.Column("redeem_by", sa.DateTime(timezone=True), nullable=True),
    sa.Column("max_redemptions", sa.Integer, nullable=True),
    sa.Column("times_redeemed", sa.Integer, nullable=False),
    sa.Column("product_ids", sa.JSON, nullable=True),
    sa.Column("duration", sa.String(10), nullable=False),  # once | forever | repeating
    sa.Column("duration_in_cycles", sa.Integer, nullable=True),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

coupon_redemptions = sa.Table(
    "coupon_redemptions",
    metadata,
    sa.Column("coupon_id", sa.String(40), sa.ForeignKey("coupons.id"), primary_key=True),
    sa.Column("order_id", sa.String(40), primary_key=True),
    sa.Column("customer_id", sa.String(40), nullable=False),
    sa.Column("discount", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

customer_projection = sa.Table(
    "customer_projection",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("country", sa.String(2), nullable=True),
    sa.Column("region", sa.String(100), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("customer_id", sa.String(40), nullable=False, index=True),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("billing_cycle_id", sa.String(40), nullable=True),
    sa.Column("coupon_id", sa.String(40), nullable=True),
    sa.Column("coupon_code", sa.String(64), nullable=True),
    sa.Column("subtotal", sa.BigInteger, nullable=False),
    sa.Column("discount_total", sa.BigInteger, nullable=False),
    sa.Column("tax_total", sa.BigInteger, nullable=False),
    sa.Column("total", sa.BigInteger, nullable=False),
    sa.Column("priced", sa.JSON, nullable=False),  # lines + the calculation trace, as priced
    sa.Column("amount_refunded", sa.BigInteger, nullable=False),
    sa.Column("payment_intent_ids", sa.JSON, nullable=False),
    sa.Column("invoice_id", sa.String(40), nullable=True),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
)
