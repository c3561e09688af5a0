"""trials: an order may start its subscription with a trial (the plan's lines kept for later), a
recurring product may carry a default trial, an order keeps its lines' product names, and orders
knows each customer's default payment method (PaymentMethodDefaultChanged v2)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_default_methods",
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("payment_method_id", sa.String(length=40), nullable=True),
        sa.Column("gateway_id", sa.String(length=20), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trial", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("line_texts", sa.JSON(), nullable=True))
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trial_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("trial_days")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("line_texts")
        batch_op.drop_column("trial")
    op.drop_table("customer_default_methods")
