"""The payments database: payment intents, refunds, the order projection, received webhook
deliveries, the admin's gateway switches, plus the kit's tables (outbox, inbox, idempotency keys).

No card number has a column here: payments only ever holds the provider's tokens and references.
"""

from __future__ import annotations

import sqlalchemy as sa

from billing_shared.db.tables import add_kit_tables
from payments.domain.intents import LIVE, STATUSES

metadata = sa.MetaData()
kit_tables = add_kit_tables(metadata)

# The states in which an intent still holds its order (may still take, or has taken, money).
LIVE_STATUSES = tuple(s for s in STATUSES if s in LIVE)

payment_intents = sa.Table(
    "payment_intents",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    # The order this intent pays; NULL for a subscription renewal invoice's off-session charge.
    sa.Column("order_id", sa.String(40), nullable=True, index=True),
    # A renewal charge (InvoicePaymentRequested): the invoice, its subscription and the attempt
    # (1 the period's first charge, 2.. dunning retries); NULL for an order's intent.
    sa.Column("invoice_id", sa.String(40), nullable=True),
    sa.Column("subscription_id", sa.String(40), nullable=True),
    sa.Column("attempt", sa.Integer, nullable=True),
    # Charged without the customer present (no 3DS possible): renewal charges.
    sa.Column("off_session", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("customer_id", sa.String(40), nullable=False, index=True),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("status", sa.String(30), nullable=False, index=True),
    sa.Column("gateway_id", sa.String(20), nullable=False),
    sa.Column("gateway_reference", sa.String(255), nullable=True),
    sa.Column("client_secret", sa.String(500), nullable=True),
    sa.Column("next_action", sa.JSON, nullable=True),
    sa.Column("capture_method", sa.String(10), nullable=False),
    sa.Column("return_url", sa.String(2000), nullable=True),
    # The provider's token for the payment method (never a card number): kept so a create whose
    # answer was lost can be sent again, identically, under the same provider idempotency key.
    sa.Column("payment_method_token", sa.String(255), nullable=False),
    sa.Column("failure_code", sa.String(100), nullable=True),
    sa.Column("failure_message", sa.String(500), nullable=True),
    sa.Column("amount_refunded", sa.BigInteger, nullable=False),
    sa.Column("disputed", sa.Boolean, nullable=False),
    # True until the provider has answered the create call (see ADR 0003).
    sa.Column("provider_pending", sa.Boolean, nullable=False),
    # When the provider call now in flight started; NULL when none is in flight.
    sa.Column("provider_call_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("provider_attempts", sa.Integer, nullable=False),
    # Who asked for it: the API client and its Idempotency-Key, so that request may resume it.
    sa.Column("client_id", sa.String(200), nullable=False),
    sa.Column("idempotency_key", sa.String(255), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
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
sa.Index(
    "ix_payment_intents_provider_pending",
    payment_intents.c.id,
    postgresql_where=payment_intents.c.provider_pending.is_(True),
    sqlite_where=payment_intents.c.provider_pending.is_(True),
)

refunds = sa.Table(
    "refunds",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column(
        "payment_intent_id", sa.String(40), sa.ForeignKey("payment_intents.id"), nullable=False, index=True
    ),
    sa.Column("order_id", sa.String(40), nullable=True),  # NULL for a refund of a renewal charge
    sa.Column("customer_id", sa.String(40), nullable=False, index=True),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # pending | succeeded | failed
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("gateway_reference", sa.String(255), nullable=True),
    sa.Column("failure_message", sa.String(500), nullable=True),
    sa.Column("provider_pending", sa.Boolean, nullable=False),
    sa.Column("provider_call_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("provider_attempts", sa.Integer, nullable=False),
    sa.Column("client_id", sa.String(200), nullable=False),
    sa.Column("idempotency_key", sa.String(255), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

order_projection = sa.Table(
    "order_projection",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("customer_id", sa.String(40), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("total", sa.BigInteger, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # draft | paid | cancelled
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

webhook_events = sa.Table(
    "webhook_events",
    metadata,
    sa.Column("gateway_id", sa.String(20), primary_key=True),
    sa.Column("event_id", sa.String(255), primary_key=True),  # the provider's: one delivery applies once
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("raw_type", sa.String(100), nullable=False),
    sa.Column("reference", sa.String(255), nullable=True, index=True),
    sa.Column("amount", sa.BigInteger, nullable=True),
    sa.Column("failure_code", sa.String(100), nullable=True),
    sa.Column("failure_message", sa.String(500), nullable=True),
    sa.Column("created", sa.BigInteger, nullable=False),  # the provider's event time (unix seconds)
    # The intent it was applied to; NULL while no intent holds its reference yet (a delivery that
    # outran the create call's answer): it is applied when the answer is recorded.
    sa.Column("payment_intent_id", sa.String(40), nullable=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
)

sa.Index("ix_refunds_request_key", refunds.c.client_id, refunds.c.idempotency_key)

gateway_switches = sa.Table(
    "gateway_switches",
    metadata,
    sa.Column("id", sa.String(20), primary_key=True),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
