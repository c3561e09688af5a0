"""subscription changes: the catalog projection, customer credit balances and their movements,
credit applied on invoices, and a subscription's pending prorations, trial and pause

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.String(length=40)
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "catalog_products",
        sa.Column("id", ID, nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "catalog_tax_rules",
        sa.Column("id", ID, nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("changed_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("catalog_tax_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_tax_rules_country"), ["country"], unique=False)
    op.create_table(
        "customer_balances",
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "currency"),
    )
    op.create_table(
        "customer_balance_transactions",
        sa.Column("id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("invoice_id", ID, nullable=True),
        sa.Column("subscription_id", ID, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invoice_id", "kind", name="uq_balance_transactions_invoice_kind"),
    )
    with op.batch_alter_table("customer_balance_transactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_balance_transactions_customer_id"), ["customer_id"], unique=False
        )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credit_applied", sa.BigInteger(), nullable=False, server_default="0"))
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_prorations", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("trial_end", WHEN, nullable=True))
        batch_op.add_column(sa.Column("paused_at", WHEN, nullable=True))
        batch_op.add_column(sa.Column("resumes_at", WHEN, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        for column in ("resumes_at", "paused_at", "trial_end", "pending_prorations"):
            batch_op.drop_column(column)
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("credit_applied")
    op.drop_table("customer_balance_transactions")
    op.drop_table("customer_balances")
    op.drop_table("catalog_tax_rules")
    op.drop_table("catalog_products")
