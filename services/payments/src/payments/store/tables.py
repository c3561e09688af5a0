"""The payments database: payment intents, refunds, the order projection, received webhook
deliveries, the admin's gateway switches, plus the kit's tables (outbox, inbox, idempotency keys).

No card number has a column here: payments only ever holds the provider's tokens and references.
"""

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
    reference,
    stamps,
    text,
)
from billing_shared.db.tables import add_kit_tables
from payments.domain.intents import LIVE, STATUSES

metadata = sa.MetaData()
kit_tables = add_kit_tables(metadata)

# The states in which an intent still holds its order (may still take, or has taken, money).
LIVE_STATUSES = tuple(s for s in STATUSES if s in LIVE)

payment_intents = sa.Table(
    "payment_intents",
    metadata,
    identity(),
    # The order this intent pays; NULL for a subscription renewal invoice's off-session charge.
    reference("order_id", index=True, nullable=True),
    # A renewal charge (InvoicePaymentRequested): the invoice, its subscription and the attempt
    # (1 the period's first charge, 2.. dunning retries); NULL for an order's intent.
    reference("invoice_id", nullable=True),
    reference("subscription_id", nullable=True),
    integer("attempt", nullable=True),
    # Charged without the customer present (no 3DS possible): renewal charges.
    flag("off_session", server_default=sa.false()),
    reference("customer_id", index=True),
    money("amount"),
    currency(),
    text("status", 30, index=True),
    text("gateway_id", 20),
    text("gateway_reference", 255, nullable=True),
    text("client_secret", 500, nullable=True),
    document("next_action", nullable=True),
    text("capture_method", 10),
    text("return_url", 2000, nullable=True),
    # The provider's token for the payment method (never a card number): kept so a create whose
    # answer was lost can be sent again, identically, under the same provider idempotency key.
    text("payment_method_token", 255),
    # A saved method's id (ours) and the provider's customer it is kept for; NULL with a token.
    reference("payment_method_id", nullable=True),
    text("provider_customer", 255, nullable=True),
    # The payer saved the card with this payment, for charges without them later.
    flag("save_for_future", server_default=sa.false()),
    text("failure_code", 100, nullable=True),
    text("failure_message", 500, nullable=True),
    money("amount_refunded"),
    flag("disputed"),
    # True until the provider has answered the create call (see ADR 0003).
    flag("provider_pending"),
    # When the provider call now in flight started; NULL when none is in flight.
    moment("provider_call_at", nullable=True),
    integer("provider_attempts"),
    # Who asked for it: the API client and its Idempotency-Key, so that request may resume it.
    text("client_id", 200),
    text("idempotency_key", 255, nullable=True),
    *stamps(),
    sa.UniqueConstraint("gateway_id", "gateway_reference", name="uq_payment_intents_gateway_reference"),
)
sa.Index("ix_payment_intents_request_key", payment_intents.c.client_id, payment_intents.c.idempotency_key)
# One intent per renewal invoice and attempt: a replayed InvoicePaymentRequested makes no second one.
sa.Index(
    "uq_payment_intents_invoice_attempt",
    payment_intents.c.invoice_id,
    payment_intents.c.attempt,
    unique=True,
)
# One order has at most one live intent: the database says so, whatever races the API loses.
sa.Index(
    "uq_payment_intents_live_order",
    payment_intents.c.order_id,
    unique=True,
    postgresql_where=payment_intents.c.status.in_(LIVE_STATUSES),
    sqlite_where=payment_intents.c.status.in_(LIVE_STATUSES),
)
# ... and one invoice at most one live intent (a renewal charge's or a payer's): never two payments.
sa.Index(
    "uq_payment_intents_live_invoice",
    payment_intents.c.invoice_id,
    unique=True,
    postgresql_where=payment_intents.c.status.in_(LIVE_STATUSES),
    sqlite_where=payment_intents.c.status.in_(LIVE_STATUSES),
)
sa.Index(
    "ix_payment_intents_provider_pending",
    payment_intents.c.id,
    postgresql_where=payment_intents.c.provider_pending.is_(True),
    sqlite_where=payment_intents.c.provider_pending.is_(True),
)

refunds = sa.Table(
    "refunds",
    metadata,
    identity(),
    reference("payment_intent_id", sa.ForeignKey("payment_intents.id"), index=True),
    reference("order_id", nullable=True),  # NULL for a refund of a renewal charge
    reference("customer_id", index=True),
    money("amount"),
    currency(),
    text("status", 20),  # pending | succeeded | failed
    text("reason", 40),
    text("gateway_reference", 255, nullable=True),
    text("failure_message", 500, nullable=True),
    flag("provider_pending"),
    moment("provider_call_at", nullable=True),
    integer("provider_attempts"),
    text("client_id", 200),
    text("idempotency_key", 255, nullable=True),
    *stamps(versioned=False),
)

order_projection = sa.Table(
    "order_projection",
    metadata,
    identity(),
    reference("customer_id"),
    currency(),
    money("total"),
    text("status", 20),  # draft | paid | cancelled
    moment("updated_at"),
)

webhook_events = sa.Table(
    "webhook_events",
    metadata,
    sa.Column("gateway_id", sa.String(20), primary_key=True),
    sa.Column("event_id", sa.String(255), primary_key=True),  # the provider's: one delivery applies once
    text("kind", 40),
    text("raw_type", 100),
    text("reference", 255, index=True, nullable=True),
    money("amount", nullable=True),
    text("failure_code", 100, nullable=True),
    text("failure_message", 500, nullable=True),
    sa.Column("created", sa.BigInteger, nullable=False),  # the provider's event time (unix seconds)
    # The intent it was applied to; NULL while no intent holds its reference yet (a delivery that
    # outran the create call's answer): it is applied when the answer is recorded.
    reference("payment_intent_id", nullable=True),
    moment("received_at"),
)

sa.Index("ix_refunds_request_key", refunds.c.client_id, refunds.c.idempotency_key)

gateway_switches = sa.Table(
    "gateway_switches",
    metadata,
    sa.Column("id", sa.String(20), primary_key=True),
    flag("enabled"),
    moment("updated_at"),
)

# Cards saved for customers at a gateway: the provider's references, brand, last 4 and expiry only.
payment_methods = sa.Table(
    "payment_methods",
    metadata,
    identity(),
    reference("customer_id", index=True),
    text("gateway_id", 20),
    text("provider_reference", 255),
    text("provider_customer", 255),
    text("brand", 30),
    text("last4", 4),
    integer("exp_month"),
    integer("exp_year"),
    text("status", 20),  # attached | detached
    moment("detached_at", nullable=True),
    *stamps(),
    sa.UniqueConstraint("gateway_id", "provider_reference", name="uq_payment_methods_provider_reference"),
)

# Each customer's default method (NULL: none) and how many times it changed (the events' order).
default_methods = sa.Table(
    "default_methods",
    metadata,
    sa.Column("customer_id", sa.String(40), primary_key=True),
    reference("payment_method_id", nullable=True),
    integer("version"),
    moment("updated_at"),
)

# The provider's customer for each of ours at each gateway: made once, every saved method hangs on it.
provider_customers = sa.Table(
    "provider_customers",
    metadata,
    sa.Column("customer_id", sa.String(40), primary_key=True),
    sa.Column("gateway_id", sa.String(20), primary_key=True),
    text("reference", 255),
    moment("created_at"),
)

# The customers payments has heard of (CustomerCreated): a method is saved only for one of them.
customer_projection = sa.Table(
    "customer_projection",
    metadata,
    identity(),
    moment("created_at"),
)

# The invoices payments has heard of (from InvoiceFinalized on): an open one may be paid by intent.
invoice_projection = sa.Table(
    "invoice_projection",
    metadata,
    identity(),
    reference("customer_id"),
    reference("order_id", nullable=True),
    reference("subscription_id", nullable=True),
    currency(),
    money("amount_due"),
    text("status", 20),  # open | paid | void | uncollectible
    moment("updated_at"),
)

# Cards being saved without a charge (3D Secure first when the bank asks): see domain.setup_intents.
setup_intents = sa.Table(
    "setup_intents",
    metadata,
    identity(),
    reference("customer_id", index=True),
    text("gateway_id", 20),
    text("status", 20),
    text("provider_reference", 255),
    flag("set_default"),
    text("return_url", 2000, nullable=True),
    document("next_action", nullable=True),
    reference("payment_method_id", nullable=True),
    text("failure_code", 100, nullable=True),
    text("failure_message", 500, nullable=True),
    *stamps(),
    sa.UniqueConstraint("gateway_id", "provider_reference", name="uq_setup_intents_provider_reference"),
)
