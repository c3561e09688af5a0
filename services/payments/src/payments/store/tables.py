"""The payments database: payment intents, refunds, the order projection, received webhook
deliveries, the admin's gateway switches, plus the kit's tables (outbox, inbox, idempotency keys).

No card number has a column here: payments only ever holds the provider's tokens and references.
"""

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
    UniqueConstraint,
    false,
)

from billing_shared.db.tables import add_kit_tables
from payments.domain.intents import LIVE, STATUSES

metadata = MetaData()
kit_tables = add_kit_tables(metadata)

# The states in which an intent still holds its order (may still take, or has taken, money).
LIVE_STATUSES = tuple(s for s in STATUSES if s in LIVE)

payment_intents = Table(
    "payment_intents",
    metadata,
    Column("id", String(40), primary_key=True),
    # The order this intent pays; NULL for a subscription renewal invoice's off-session charge.
    Column("order_id", String(40), nullable=True, index=True),
    # A renewal charge (InvoicePaymentRequested): the invoice, its subscription and the attempt
    # (1 the period's first charge, 2.. dunning retries); NULL for an order's intent.
    Column("invoice_id", String(40), nullable=True),
    Column("subscription_id", String(40), nullable=True),
    Column("attempt", Integer, nullable=True),
    # Charged without the customer present (no 3DS possible): renewal charges.
    Column("off_session", Boolean, nullable=False, server_default=false()),
    Column("customer_id", String(40), nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(30), nullable=False, index=True),
    Column("gateway_id", String(20), nullable=False),
    Column("gateway_reference", String(255), nullable=True),
    Column("client_secret", String(500), nullable=True),
    Column("next_action", JSON, nullable=True),
    Column("capture_method", String(10), nullable=False),
    Column("return_url", String(2000), nullable=True),
    # The provider's token for the payment method (never a card number): kept so a create whose
    # answer was lost can be sent again, identically, under the same provider idempotency key.
    Column("payment_method_token", String(255), nullable=False),
    Column("failure_code", String(100), nullable=True),
    Column("failure_message", String(500), nullable=True),
    Column("amount_refunded", BigInteger, nullable=False),
    Column("disputed", Boolean, nullable=False),
    # True until the provider has answered the create call (see ADR 0003).
    Column("provider_pending", Boolean, nullable=False),
    # When the provider call now in flight started; NULL when none is in flight.
    Column("provider_call_at", DateTime(timezone=True), nullable=True),
    Column("provider_attempts", Integer, nullable=False),
    # Who asked for it: the API client and its Idempotency-Key, so that request may resume it.
    Column("client_id", String(200), nullable=False),
    Column("idempotency_key", String(255), nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("gateway_id", "gateway_reference", name="uq_payment_intents_gateway_reference"),
)
Index("ix_payment_intents_request_key", payment_intents.c.client_id, payment_intents.c.idempotency_key)
# One intent per renewal invoice and attempt: a replayed InvoicePaymentRequested makes no second one.
Index(
    "uq_payment_intents_invoice_attempt",
    payment_intents.c.invoice_id,
    payment_intents.c.attempt,
    unique=True,
)
# One order has at most one live intent: the database says so, whatever races the API loses.
Index(
    "uq_payment_intents_live_order",
    payment_intents.c.order_id,
    unique=True,
    postgresql_where=payment_intents.c.status.in_(LIVE_STATUSES),
    sqlite_where=payment_intents.c.status.in_(LIVE_STATUSES),
)
Index(
    "ix_payment_intents_provider_pending",
    payment_intents.c.id,
    postgresql_where=payment_intents.c.provider_pending.is_(True),
    sqlite_where=payment_intents.c.provider_pending.is_(True),
)

refunds = Table(
    "refunds",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("payment_intent_id", String(40), ForeignKey("payment_intents.id"), nullable=False, index=True),
    Column("order_id", String(40), nullable=True),  # NULL for a refund of a renewal charge
    Column("customer_id", String(40), nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(20), nullable=False),  # pending | succeeded | failed
    Column("reason", String(40), nullable=False),
    Column("gateway_reference", String(255), nullable=True),
    Column("failure_message", String(500), nullable=True),
    Column("provider_pending", Boolean, nullable=False),
    Column("provider_call_at", DateTime(timezone=True), nullable=True),
    Column("provider_attempts", Integer, nullable=False),
    Column("client_id", String(200), nullable=False),
    Column("idempotency_key", String(255), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

order_projection = Table(
    "order_projection",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(40), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),  # draft | paid | cancelled
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("gateway_id", String(20), primary_key=True),
    Column("event_id", String(255), primary_key=True),  # the provider's: one delivery applies once
    Column("kind", String(40), nullable=False),
    Column("raw_type", String(100), nullable=False),
    Column("reference", String(255), nullable=True, index=True),
    Column("amount", BigInteger, nullable=True),
    Column("failure_code", String(100), nullable=True),
    Column("failure_message", String(500), nullable=True),
    Column("created", BigInteger, nullable=False),  # the provider's event time (unix seconds)
    # The intent it was applied to; NULL while no intent holds its reference yet (a delivery that
    # outran the create call's answer): it is applied when the answer is recorded.
    Column("payment_intent_id", String(40), nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

Index("ix_refunds_request_key", refunds.c.client_id, refunds.c.idempotency_key)

gateway_switches = Table(
    "gateway_switches",
    metadata,
    Column("id", String(20), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
