"""customers show their default payment method (payments chooses it; PaymentMethodDefaultChanged)

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("default_payment_method_id", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("default_method_version", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("default_method_version")
        batch_op.drop_column("default_payment_method_id")
