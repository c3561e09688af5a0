"""The invoicing database: the order projection, invoices, the gapless number counters,
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

# What invoicing knows of orders, from OrderCreated / OrderPaid / OrderCancelled: the whole
# priced order as orders published it, so a draft can be made from it at any later time.
order_projection = sa.Table(
    "order_projection",
    metadata,
    identity(),
    reference("customer_id"),
    currency(),
    money("total"),
    text("status", 20),
    document("priced"),  # PricedOrder.to_dict() data, as in OrderCreated
    # OrderCreated v2: {"id", "intervalUnit", "intervalCount"} and the coupon's terms, for the
    # subscription a paid recurring order starts (null for a one-off order / no coupon).
    document("billing_cycle", nullable=True),
    document("coupon", nullable=True),
    document("trial", nullable=True),  # OrderCreated v3: the trial and the plan billed after it
    reference("payment_intent_id", nullable=True),
    *stamps(versioned=False),
)

invoices = sa.Table(
    "invoices",
    metadata,
    identity(),
    # One invoice per order, ever; a renewal invoice has no order but its (subscription, period).
    reference("order_id", unique=True, nullable=True),
    reference("subscription_id", index=True, nullable=True),
    moment("period_start", nullable=True),
    moment("period_end", nullable=True),
    text("billing_reason", 30, server_default="order"),  # "order" | "subscription_cycle"
    reference("customer_id", index=True),
    currency(),
    text("status", 20, index=True),
    text("number", 40, unique=True, nullable=True),
    *priced_totals(),  # the order's lines and totals, copied to the cent
    money("amount_paid"),
    reference("payment_intent_id", nullable=True),
    *stamps(),
    moment("finalized_at", nullable=True),
    moment("paid_at", nullable=True),
    moment("voided_at", nullable=True),
    moment("marked_uncollectible_at", nullable=True),
    moment("sent_at", nullable=True),  # the last sending
    text("sent_to", 320, nullable=True),
    money("amount_refunded", server_default="0"),
    flag("disputed", server_default=sa.false()),
    moment("disputed_at", nullable=True),
    flag("paid_out_of_band", server_default=sa.false()),
    text("payment_reference", 200, nullable=True),
    money("credit_applied", server_default="0"),  # the customer's credit used before any charge
    document("line_texts", nullable=True),  # each line's product name and description as ordered
    text("memo", 2000, nullable=True),
    text("footer", 1000, nullable=True),
    # the InvoiceSettings revision its documents show (set at finalization; a draft shows the newest)
    integer("settings_revision", nullable=True),
    sa.UniqueConstraint("subscription_id", "period_start", name="uq_invoices_subscription_period"),
)

# Every sending of an invoice by e-mail (sending again is allowed, and recorded).
invoice_sends = sa.Table(
    "invoice_sends",
    metadata,
    identity(),
    reference("invoice_id", index=True),
    text("sent_to", 320),
    text("message_id", 255, nullable=True),
    moment("sent_at"),
    text("kind", 30, server_default="invoice"),  # which mail: invoice, receipt, payment_failed
)

# What invoicing knows of customers, from CustomerCreated / CustomerUpdated: who an invoice is
# addressed and e-mailed to.
customer_projection = sa.Table(
    "customer_projection",
    metadata,
    identity(),
    document("data"),  # the event's customer data as published
    moment("updated_at"),
)

# Credit notes: one per refund of an invoice's payment, numbered in their own gapless series (CN).
credit_notes = sa.Table(
    "credit_notes",
    metadata,
    identity(),
    text("number", 40, unique=True),
    reference("invoice_id", index=True),
    reference("customer_id", index=True),
    currency(),
    money("amount"),
    text("reason", 100, nullable=True),
    reference("refund_id", unique=True),  # one credit note per refund
    reference("payment_intent_id", nullable=True),
    moment("created_at"),
    integer("settings_revision", nullable=True),  # the InvoiceSettings revision it shows
)

# A subscription: started by a paid order with a billing cycle (one per order, ever); the
# recurring biller renews it each period with the items and terms copied from the order.
subscriptions = sa.Table(
    "subscriptions",
    metadata,
    identity(),
    reference("order_id", unique=True),
    reference("customer_id", index=True),
    currency(),
    document("items"),  # the order's lines as pricing inputs
    document("coupon", nullable=True),  # the coupon's terms, while cycles remain
    integer("coupon_cycles_remaining", nullable=True),  # null: forever (or no coupon)
    reference("billing_cycle_id"),
    text("interval_unit", 10),
    integer("interval_count"),
    text("status", 20, index=True),
    moment("current_period_start"),
    moment("current_period_end", index=True),
    flag("cancel_at_period_end"),
    moment("canceled_at", nullable=True),
    text("gateway_id", 20, nullable=True),
    text("payment_method_token", 255, nullable=True),  # a gateway token, never card data
    # Priced proration lines (PricedOrder data, one per change) waiting for the next renewal invoice.
    document("pending_prorations", nullable=True),
    moment("trial_end", nullable=True),
    flag("trial_will_end_sent", server_default=sa.false()),  # SubscriptionTrialWillEnd, once
    moment("paused_at", nullable=True),
    moment("resumes_at", nullable=True),
    moment("period_anchor", nullable=True),  # a resumption's moment: periods count from it
    *stamps(),
)

# One row per billed period: the renewal invoice, its charge attempts and the dunning schedule.
subscription_billing_histories = sa.Table(
    "subscription_billing_histories",
    metadata,
    identity(),
    reference("subscription_id"),
    reference("customer_id", index=True),
    moment("period_start"),
    moment("period_end"),
    reference("invoice_id", unique=True),
    reference("payment_intent_id", nullable=True),
    text("status", 30),
    integer("attempts"),
    moment("next_attempt_at", nullable=True),
    text("failure_code", 100, nullable=True),
    text("reason", 30, server_default="subscription_cycle"),  # or subscription_update (a change)
    *stamps(versioned=False),
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
    identity("order_id"),
    reference("payment_intent_id", nullable=True),
    money("amount"),
    text("gateway_id", 20, nullable=True),
    text("payment_method_token", 255, nullable=True),
    moment("received_at"),
)

# What invoicing knows of the catalog, from orders' ProductCreated / ProductUpdated and
# TaxRuleCreated / TaxRuleUpdated: enough to price a subscription's change with the pricing rule.
catalog_products = sa.Table(
    "catalog_products",
    metadata,
    identity(),
    document("data"),  # the event's product as published
    integer("version"),
    moment("updated_at"),
)
catalog_tax_rules = sa.Table(
    "catalog_tax_rules",
    metadata,
    identity(),
    text("country", 2, index=True),
    document("data"),  # the event's tax rule as published
    moment("changed_at"),
)

# A customer's credit per currency (positive: owed to the customer), changed only together with a
# movement row below, under this row's lock: the balance is always the sum of its movements.
customer_balances = sa.Table(
    "customer_balances",
    metadata,
    reference("customer_id"),
    currency(),
    money("balance"),
    integer("version"),
    moment("updated_at"),
    sa.PrimaryKeyConstraint("customer_id", "currency"),
)
customer_balance_transactions = sa.Table(
    "customer_balance_transactions",
    metadata,
    identity(),
    reference("customer_id", index=True),
    currency(),
    money("amount"),  # + credit given to the customer, - credit used on an invoice
    money("balance_after"),
    text("kind", 30),
    reference("invoice_id", nullable=True),
    reference("subscription_id", nullable=True),
    moment("created_at"),
    # one movement of each kind per invoice: a replayed or retried step gives no second credit
    sa.UniqueConstraint("invoice_id", "kind", name="uq_balance_transactions_invoice_kind"),
)

# The merchant's identity and branding on documents and mail, one row per change (never updated):
# a finalized invoice names the revision it was issued with, so later changes leave it as it was.
invoice_settings = sa.Table(
    "invoice_settings",
    metadata,
    sa.Column("revision", sa.Integer, primary_key=True, autoincrement=False),
    document("data"),  # seller, address, tax id, accent colour, footer, terms, support, e-mails
    sa.Column("logo", sa.LargeBinary, nullable=True),  # sanitised PNG or SVG bytes
    text("logo_type", 40, nullable=True),  # image/png | image/svg+xml
    moment("created_at"),
)

# Mail to send, written in the transaction of what caused it (an invoice finalized or paid, a
# renewal charge failed, a trial ending, a subscription cancelled) and sent after it by the mail
# sender with retries: the mail's own outbox. `dedupe_key` makes each cause one mail, ever.
outgoing_mail = sa.Table(
    "outgoing_mail",
    metadata,
    identity(),
    text("kind", 30),
    text("dedupe_key", 200, unique=True),
    reference("customer_id", index=True),
    reference("invoice_id", nullable=True, index=True),
    reference("subscription_id", nullable=True),
    document("data"),  # what the mail says beyond its invoice or subscription (attempt, dates)
    text("message_id", 255),  # fixed when queued: a resend after a crash carries the same one
    text("status", 20),  # pending | sent | skipped
    integer("attempts", server_default="0"),
    moment("next_attempt_at", index=True),
    text("last_error", 500, nullable=True),
    text("sent_to", 320, nullable=True),
    moment("created_at"),
    moment("sent_at", nullable=True),
)

# One-off charges (InvoiceItems), pending until one invoice takes them: the customer's next renewal
# in their currency or a manual invoice. Taken under the rows' locks with the invoice in one
# transaction (status pending -> invoiced, `invoice_id` set), so no item is ever on two invoices.
invoice_items = sa.Table(
    "invoice_items",
    metadata,
    identity(),
    reference("customer_id"),
    text("description", 500),
    integer("quantity"),
    money("unit_price"),
    currency(),
    text("tax_category", 50, nullable=True),
    text("status", 20),  # pending | invoiced | deleted
    reference("invoice_id", nullable=True, index=True),
    *stamps(),
)
# the biller and manual invoices look for a customer's pending items
sa.Index("ix_invoice_items_customer_status", invoice_items.c.customer_id, invoice_items.c.status)
