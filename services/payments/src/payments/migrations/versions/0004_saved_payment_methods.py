"""saved payment methods: cards kept for customers at a gateway, each customer's default, the
provider customers they hang on, and the customers payments has heard of; an intent may charge a
saved method (payment_method_id, provider_customer); the invoices payments has heard of, and one
live intent per invoice (a payer's or a renewal charge's: never two payments of one invoice)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# the live states (payments.domain.intents.LIVE), as the index's condition
LIVE = (
    "status IN ('requires_payment_method', 'requires_action', 'processing', 'requires_capture', 'succeeded')"
)


def upgrade() -> None:
    with op.batch_alter_table("payment_intents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payment_method_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("provider_customer", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("save_for_future", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "payment_methods",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("gateway_id", sa.String(length=20), nullable=False),
        sa.Column("provider_reference", sa.String(length=255), nullable=False),
        sa.Column("provider_customer", sa.String(length=255), nullable=False),
        sa.Column("brand", sa.String(length=30), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("exp_month", sa.Integer(), nullable=False),
        sa.Column("exp_year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("detached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gateway_id", "provider_reference", name="uq_payment_methods_provider_reference"),
    )
    op.create_index("ix_payment_methods_customer_id", "payment_methods", ["customer_id"])
    op.create_table(
        "default_methods",
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("payment_method_id", sa.String(length=40), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_table(
        "provider_customers",
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("gateway_id", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "gateway_id"),
    )
    op.create_index(
        "uq_payment_intents_live_invoice",
        "payment_intents",
        ["invoice_id"],
        unique=True,
        postgresql_where=sa.text(LIVE),
        sqlite_where=sa.text(LIVE),
    )
    op.create_table(
        "invoice_projection",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=True),
        sa.Column("subscription_id", sa.String(length=40), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_due", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "setup_intents",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("gateway_id", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("provider_reference", sa.String(length=255), nullable=False),
        sa.Column("set_default", sa.Boolean(), nullable=False),
        sa.Column("return_url", sa.String(length=2000), nullable=True),
        sa.Column("next_action", sa.JSON(), nullable=True),
        sa.Column("payment_method_id", sa.String(length=40), nullable=True),
        sa.Column("failure_code", sa.String(length=100), nullable=True),
        sa.Column("failure_message", sa.String(length=500), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gateway_id", "provider_reference", name="uq_setup_intents_provider_reference"),
    )
    op.create_index("ix_setup_intents_customer_id", "setup_intents", ["customer_id"])
    op.create_table(
        "customer_projection",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("customer_projection")
    op.drop_index("ix_setup_intents_customer_id", table_name="setup_intents")
    op.drop_table("setup_intents")
    op.drop_table("invoice_projection")
    op.drop_index("uq_payment_intents_live_invoice", table_name="payment_intents")
    op.drop_table("provider_customers")
    op.drop_table("default_methods")
    op.drop_index("ix_payment_methods_customer_id", table_name="payment_methods")
    op.drop_table("payment_methods")
    with op.batch_alter_table("payment_intents", schema=None) as batch_op:
        batch_op.drop_column("save_for_future")
        batch_op.drop_column("provider_customer")
        batch_op.drop_column("payment_method_id")
