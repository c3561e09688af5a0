"""The orders database: catalog, coupons and their redemptions, the customer projection, orders,
plus the kit's tables (outbox, inbox, idempotency keys)."""

from __future__ import annotations

import sqlalchemy as sa

from billing_shared.db.columns import (
    currency,
    document,
    flag,
    identity,
    integer,
    moment,
    money,
    priced_totals,
    reference,
    stamps,
    text,
)
from billing_shared.db.tables import add_kit_tables

metadata = sa.MetaData()
kit_tables = add_kit_tables(metadata)

currencies = sa.Table(
    "currencies",
    metadata,
    sa.Column("code", sa.String(3), primary_key=True),
    text("name", 100),
    integer("exponent"),
    flag("enabled"),
    moment("updated_at"),
)

billing_cycles = sa.Table(
    "billing_cycles",
    metadata,
    identity(),
    text("name", 100),
    text("interval_unit", 10),
    integer("interval_count"),
    moment("created_at"),
)

products = sa.Table(
    "products",
    metadata,
    identity(),
    text("name", 200),
    sa.Column("description", sa.Text, nullable=True),
    text("tax_category", 50),
    flag("active"),
    reference("billing_cycle_id", sa.ForeignKey("billing_cycles.id"), nullable=True),
    document("metadata"),
    *stamps(),
    integer("trial_days", nullable=True),  # the default trial of an order for it
)

product_prices = sa.Table(
    "product_prices",
    metadata,
    sa.Column("product_id", sa.String(40), sa.ForeignKey("products.id"), primary_key=True),
    sa.Column("currency", sa.String(3), primary_key=True),
    money("unit_price"),
)

tax_rules = sa.Table(
    "tax_rules",
    metadata,
    identity(),
    text("name", 200),
    text("country", 2, index=True),
    text("region", 100, nullable=True),
    text("tax_category", 50, nullable=True),
    # "country|region|category": at most one ACTIVE rule per scope (partial unique index below)
    text("scope_key", 200),
    text("rate", 20),  # an exact decimal string, e.g. "0.0725"
    flag("inclusive"),
    moment("valid_from", nullable=True),
    moment("valid_to", nullable=True),
    flag("active"),
    moment("created_at"),
    moment("deactivated_at", nullable=True),
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
    identity(),
    text("code", 64, unique=True),
    text("percent_off", 20, nullable=True),  # exact decimal string
    money("amount_off", nullable=True),
    currency(nullable=True),
    moment("redeem_by", nullable=True),
    integer("max_redemptions", nullable=True),
    integer("times_redeemed"),
    document("product_ids", nullable=True),
    text("duration", 10),  # once | forever | repeating
    integer("duration_in_cycles", nullable=True),
    flag("active"),
    document("metadata"),
    moment("created_at"),
)

coupon_redemptions = sa.Table(
    "coupon_redemptions",
    metadata,
    sa.Column("coupon_id", sa.String(40), sa.ForeignKey("coupons.id"), primary_key=True),
    identity("order_id"),
    reference("customer_id"),
    money("discount"),
    moment("created_at"),
)

customer_projection = sa.Table(
    "customer_projection",
    metadata,
    identity(),
    text("email", 320),
    text("country", 2, nullable=True),
    text("region", 100, nullable=True),
    integer("version"),
    moment("updated_at"),
)

# Payments' latest choice of each customer's default method (PaymentMethodDefaultChanged v2), by
# its count: a trial's first charge goes to it. Its own table, because the event may come before
# the customer's CustomerCreated (two topics, no order between them).
customer_default_methods = sa.Table(
    "customer_default_methods",
    metadata,
    identity("customer_id"),
    reference("payment_method_id", nullable=True),
    text("gateway_id", 20, nullable=True),
    integer("version"),
)

orders = sa.Table(
    "orders",
    metadata,
    identity(),
    reference("customer_id", index=True),
    currency(),
    text("status", 20, index=True),
    reference("billing_cycle_id", nullable=True),
    reference("coupon_id", nullable=True),
    text("coupon_code", 64, nullable=True),
    *priced_totals(),
    money("amount_refunded"),
    document("payment_intent_ids"),
    reference("invoice_id", nullable=True),
    document("metadata"),
    *stamps(),
    moment("paid_at", nullable=True),
    moment("cancelled_at", nullable=True),
    document("trial", nullable=True),  # {days, trialEnd, paymentMethodId, gatewayId, plan}
    document("line_texts", nullable=True),  # each line's product name and description as ordered
)
