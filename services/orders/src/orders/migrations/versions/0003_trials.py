"""trials: an order may start its subscription with a trial (the plan's lines kept for later), and
orders knows each customer's default payment method (PaymentMethodDefaultChanged v2)

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
    with op.batch_alter_table("customer_projection", schema=None) as batch_op:
        batch_op.add_column(sa.Column("default_payment_method_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("default_gateway_id", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("default_method_version", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trial", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("trial")
    with op.batch_alter_table("customer_projection", schema=None) as batch_op:
        batch_op.drop_column("default_method_version")
        batch_op.drop_column("default_gateway_id")
        batch_op.drop_column("default_payment_method_id")
