"""sending, credit notes, customer projection, subscriptions, billing histories

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 15:23:08.388821
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credit_notes",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("invoice_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=True),
        sa.Column("refund_id", sa.String(length=40), nullable=False),
        sa.Column("payment_intent_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
        sa.UniqueConstraint("refund_id"),
    )
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_notes_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_credit_notes_invoice_id"), ["invoice_id"], unique=False)

    op.create_table(
        "customer_projection",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "invoice_sends",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("invoice_id", sa.String(length=40), nullable=False),
        sa.Column("sent_to", sa.String(length=320), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("invoice_sends", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_sends_invoice_id"), ["invoice_id"], unique=False)

    op.create_table(
        "subscription_billing_histories",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("subscription_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("invoice_id", sa.String(length=40), nullable=False),
        sa.Column("payment_intent_id", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure_code", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invoice_id"),
        sa.UniqueConstraint(
            "subscription_id", "period_start", name="uq_billing_histories_subscription_period"
        ),
    )
    with op.batch_alter_table("subscription_billing_histories", schema=None) as batch_op:
        batch_op.create_index("ix_billing_histories_retry", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_subscription_billing_histories_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("coupon", sa.JSON(), nullable=True),
        sa.Column("coupon_cycles_remaining", sa.Integer(), nullable=True),
        sa.Column("billing_cycle_id", sa.String(length=40), nullable=False),
        sa.Column("interval_unit", sa.String(length=10), nullable=False),
        sa.Column("interval_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("current_period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("current_period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancel_at_period_end", sa.Boolean(), nullable=False),
        sa.Column("canceled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gateway_id", sa.String(length=20), nullable=True),
        sa.Column("payment_method_token", sa.String(length=255), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id"),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscriptions_current_period_end"), ["current_period_end"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_subscriptions_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_subscriptions_status"), ["status"], unique=False)

    with op.batch_alter_table("early_payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gateway_id", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("payment_method_token", sa.String(length=255), nullable=True))

    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subscription_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("period_start", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("period_end", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("billing_reason", sa.String(length=30), nullable=False, server_default="order")
        )
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sent_to", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("amount_refunded", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("disputed", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("disputed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column("order_id", existing_type=sa.VARCHAR(length=40), nullable=True)
        batch_op.create_index(batch_op.f("ix_invoices_subscription_id"), ["subscription_id"], unique=False)
        batch_op.create_unique_constraint(
            "uq_invoices_subscription_period", ["subscription_id", "period_start"]
        )

    with op.batch_alter_table("order_projection", schema=None) as batch_op:
        batch_op.add_column(sa.Column("billing_cycle", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("coupon", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("order_projection", schema=None) as batch_op:
        batch_op.drop_column("coupon")
        batch_op.drop_column("billing_cycle")

    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_constraint("uq_invoices_subscription_period", type_="unique")
        batch_op.drop_index(batch_op.f("ix_invoices_subscription_id"))
        batch_op.alter_column("order_id", existing_type=sa.VARCHAR(length=40), nullable=False)
        batch_op.drop_column("disputed_at")
        batch_op.drop_column("disputed")
        batch_op.drop_column("amount_refunded")
        batch_op.drop_column("sent_to")
        batch_op.drop_column("sent_at")
        batch_op.drop_column("billing_reason")
        batch_op.drop_column("period_end")
        batch_op.drop_column("period_start")
        batch_op.drop_column("subscription_id")

    with op.batch_alter_table("early_payments", schema=None) as batch_op:
        batch_op.drop_column("payment_method_token")
        batch_op.drop_column("gateway_id")

    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriptions_status"))
        batch_op.drop_index(batch_op.f("ix_subscriptions_customer_id"))
        batch_op.drop_index(batch_op.f("ix_subscriptions_current_period_end"))

    op.drop_table("subscriptions")
    with op.batch_alter_table("subscription_billing_histories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscription_billing_histories_customer_id"))
        batch_op.drop_index("ix_billing_histories_retry")

    op.drop_table("subscription_billing_histories")
    with op.batch_alter_table("invoice_sends", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_sends_invoice_id"))

    op.drop_table("invoice_sends")
    op.drop_table("customer_projection")
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_notes_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_credit_notes_customer_id"))

    op.drop_table("credit_notes")
