"""The invoicing database: the order projection, invoices, the gapless number counters,
plus the kit's tables (outbox, inbox, idempotency keys)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    false,
)

from billing_shared.db.tables import add_kit_tables

metadata = MetaData()
kit_tables = add_kit_tables(metadata)

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
    # OrderCreated v2: {"id", "intervalUnit", "intervalCount"} and the coupon's terms, for the
    # subscription a paid recurring order starts (null for a one-off order / no coupon).
    Column("billing_cycle", JSON, nullable=True),
    Column("coupon", JSON, nullable=True),
    Column("payment_intent_id", String(40), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", String(40), primary_key=True),
    # One invoice per order, ever; a renewal invoice has no order but its (subscription, period).
    Column("order_id", String(40), nullable=True, unique=True),
    Column("subscription_id", String(40), nullable=True, index=True),
    Column("period_start", DateTime(timezone=True), nullable=True),
    Column("period_end", DateTime(timezone=True), nullable=True),
    Column(
        "billing_reason", String(30), nullable=False, server_default="order"
    ),  # "order" | "subscription_cycle"
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
    Column("sent_at", DateTime(timezone=True), nullable=True),  # the last sending
    Column("sent_to", String(320), nullable=True),
    Column("amount_refunded", BigInteger, nullable=False, server_default="0"),
    Column("disputed", Boolean, nullable=False, server_default=false()),
    Column("disputed_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("subscription_id", "period_start", name="uq_invoices_subscription_period"),
)

# Every sending of an invoice by e-mail (sending again is allowed, and recorded).
invoice_sends = Table(
    "invoice_sends",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("invoice_id", String(40), nullable=False, index=True),
    Column("sent_to", String(320), nullable=False),
    Column("message_id", String(255), nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=False),
)

# What invoicing knows of customers, from CustomerCreated / CustomerUpdated: who an invoice is
# addressed and e-mailed to.
customer_projection = Table(
    "customer_projection",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("data", JSON, nullable=False),  # the event's customer data as published
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Credit notes: one per refund of an invoice's payment, numbered in their own gapless series (CN).
credit_notes = Table(
    "credit_notes",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("number", String(40), nullable=False, unique=True),
    Column("invoice_id", String(40), nullable=False, index=True),
    Column("customer_id", String(40), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("reason", String(100), nullable=True),
    Column("refund_id", String(40), nullable=False, unique=True),  # one credit note per refund
    Column("payment_intent_id", String(40), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# A subscription: started by a paid order with a billing cycle (one per order, ever); the
# recurring biller renews it each period with the items and terms copied from the order.
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("order_id", String(40), nullable=False, unique=True),
    Column("customer_id", String(40), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("items", JSON, nullable=False),  # the order's lines as pricing inputs
    Column("coupon", JSON, nullable=True),  # the coupon's terms, while cycles remain
    Column("coupon_cycles_remaining", Integer, nullable=True),  # null: forever (or no coupon)
    Column("billing_cycle_id", String(40), nullable=False),
    Column("interval_unit", String(10), nullable=False),
    Column("interval_count", Integer, nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("current_period_start", DateTime(timezone=True), nullable=False),
    Column("current_period_end", DateTime(timezone=True), nullable=False, index=True),
    Column("cancel_at_period_end", Boolean, nullable=False),
    Column("canceled_at", DateTime(timezone=True), nullable=True),
    Column("gateway_id", String(20), nullable=True),
    Column("payment_method_token", String(255), nullable=True),  # a gateway token, never card data
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# One row per billed period: the renewal invoice, its charge attempts and the dunning schedule.
subscription_billing_histories = Table(
    "subscription_billing_histories",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("subscription_id", String(40), nullable=False),
    Column("customer_id", String(40), nullable=False, index=True),
    Column("period_start", DateTime(timezone=True), nullable=False),
    Column("period_end", DateTime(timezone=True), nullable=False),
    Column("invoice_id", String(40), nullable=False, unique=True),
    Column("payment_intent_id", String(40), nullable=True),
    Column("status", String(30), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Column("failure_code", String(100), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("subscription_id", "period_start", name="uq_billing_histories_subscription_period"),
)
Index(
    "ix_billing_histories_retry",
    subscription_billing_histories.c.status,
    subscription_billing_histories.c.next_attempt_at,
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
    Column("gateway_id", String(20), nullable=True),
    Column("payment_method_token", String(255), nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
)
