"""The invoicing database: the order projection, invoices, the gapless number counters,
plus the kit's tables (outbox, inbox, idempotency keys)."""

from __future__ import annotations

import sqlalchemy as sa

from billing_shared.db.tables import add_kit_tables

metadata = sa.MetaData()
kit_tables = add_kit_tables(metadata)

# What invoicing knows of orders, from OrderCreated / OrderPaid / OrderCancelled: the whole
# priced order as orders published it, so a draft can be made from it at any later time.
order_projection = sa.Table(
    "order_projection",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("customer_id", sa.String(40), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("total", sa.BigInteger, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("priced", sa.JSON, nullable=False),  # PricedOrder.to_dict() data, as in OrderCreated
    # OrderCreated v2: {"id", "intervalUnit", "intervalCount"} and the coupon's terms, for the
    # subscription a paid recurring order starts (null for a one-off order / no coupon).
    sa.Column("billing_cycle", sa.JSON, nullable=True),
    sa.Column("coupon", sa.JSON, nullable=True),
    sa.Column("payment_intent_id", sa.String(40), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

invoices = sa.Table(
    "invoices",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    # One invoice per order, ever; a renewal invoice has no order but its (subscription, period).
    sa.Column("order_id", sa.String(40), nullable=True, unique=True),
    sa.Column("subscription_id", sa.String(40), nullable=True, index=True),
    sa.Column("period_start", sa.DateTime(timezone=True), nullable=True),
    sa.Column("period_end", sa.DateTime(timezone=True), nullable=True),
    sa.Column(
        "billing_reason", sa.String(30), nullable=False, server_default="order"
    ),  # "order" | "subscription_cycle"
    sa.Column("customer_id", sa.String(40), nullable=False, index=True),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("number", sa.String(40), nullable=True, unique=True),
    sa.Column("subtotal", sa.BigInteger, nullable=False),
    sa.Column("discount_total", sa.BigInteger, nullable=False),
    sa.Column("tax_total", sa.BigInteger, nullable=False),
    sa.Column("total", sa.BigInteger, nullable=False),
    sa.Column("amount_paid", sa.BigInteger, nullable=False),
    sa.Column("priced", sa.JSON, nullable=False),  # the order's lines and totals, copied to the cent
    sa.Column("payment_intent_id", sa.String(40), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finalized_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("marked_uncollectible_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),  # the last sending
    sa.Column("sent_to", sa.String(320), nullable=True),
    sa.Column("amount_refunded", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("disputed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("disputed_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("subscription_id", "period_start", name="uq_invoices_subscription_period"),
)

# Every sending of an invoice by e-mail (sending again is allowed, and recorded).
invoice_sends = sa.Table(
    "invoice_sends",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("invoice_id", sa.String(40), nullable=False, index=True),
    sa.Column("sent_to", sa.String(320), nullable=False),
    sa.Column("message_id", sa.String(255), nullable=True),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
)

# What invoicing knows of customers, from CustomerCreated / CustomerUpdated: who an invoice is
# addressed and e-mailed to.
customer_projection = sa.Table(
    "customer_projection",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("data", sa.JSON, nullable=False),  # the event's customer data as published
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# Credit notes: one per refund of an invoice's payment, numbered in their own gapless series (CN).
credit_notes = sa.Table(
    "credit_notes",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("number", sa.String(40), nullable=False, unique=True),
    sa.Column("invoice_id", sa.String(40), nullable=False, index=True),
    sa.Column("customer_id", sa.String(40), nullable=False, index=True),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("reason", sa.String(100), nullable=True),
    sa.Column("refund_id", sa.String(40), nullable=False, unique=True),  # one credit note per refund
    sa.Column("payment_intent_id", sa.String(40), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# A subscription: started by a paid order with a billing cycle (one per order, ever); the
# recurring biller renews it each period with the items and terms copied from the order.
subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("order_id", sa.String(40), nullable=False, unique=True),
    sa.Column("customer_id", sa.String(40), nullable=False, index=True),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("items", sa.JSON, nullable=False),  # the order's lines as pricing inputs
    sa.Column("coupon", sa.JSON, nullable=True),  # the coupon's terms, while cycles remain
    sa.Column("coupon_cycles_remaining", sa.Integer, nullable=True),  # null: forever (or no coupon)
    sa.Column("billing_cycle_id", sa.String(40), nullable=False),
    sa.Column("interval_unit", sa.String(10), nullable=False),
    sa.Column("interval_count", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("current_period_start", sa.DateTime(timezone=True), nullable=False),
    sa.Column("current_period_end", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("cancel_at_period_end", sa.Boolean, nullable=False),
    sa.Column("canceled_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("gateway_id", sa.String(20), nullable=True),
    sa.Column("payment_method_token", sa.String(255), nullable=True),  # a gateway token, never card data
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# One row per billed period: the renewal invoice, its charge attempts and the dunning schedule.
subscription_billing_histories = sa.Table(
    "subscription_billing_histories",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("subscription_id", sa.String(40), nullable=False),
    sa.Column("customer_id", sa.String(40), nullable=False, index=True),
    sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
    sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
    sa.Column("invoice_id", sa.String(40), nullable=False, unique=True),
    sa.Column("payment_intent_id", sa.String(40), nullable=True),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("failure_code", sa.String(100), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("subscription_id", "period_start", name="uq_billing_histories_subscription_period"),
)
sa.Index(
    "ix_billing_histories_retry",
    subscription_billing_histories.c.status,
    subscription_billing_histories.c.next_attempt_at,
)

# One row per (series, year): the last number given. Locked FOR UPDATE by the finalizing
# transaction, so numbers are gapless (a rollback undoes the increment) and never duplicated.
invoice_number_counters = sa.Table(
    "invoice_number_counters",
    metadata,
    sa.Column("series", sa.String(20), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("last_number", sa.BigInteger, nullable=False),
)

# A PaymentSucceeded that arrived before the order's OrderCreated (two topics, no order between
# them): kept until the order is known, then the draft is made and settled from it.
early_payments = sa.Table(
    "early_payments",
    metadata,
    sa.Column("order_id", sa.String(40), primary_key=True),
    sa.Column("payment_intent_id", sa.String(40), nullable=True),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("gateway_id", sa.String(20), nullable=True),
    sa.Column("payment_method_token", sa.String(255), nullable=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
)
