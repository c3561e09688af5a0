"""off-session renewal intents: an intent may pay a subscription's renewal invoice instead of an order

payment_intents.order_id and refunds.order_id become nullable; payment_intents gains invoice_id,
subscription_id, attempt and off_session, and one intent per (invoice_id, attempt): a replayed
InvoicePaymentRequested never makes a second intent (NULLs are distinct, so order intents are free).

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
    with op.batch_alter_table("payment_intents", schema=None) as batch_op:
        batch_op.alter_column("order_id", existing_type=sa.String(length=40), nullable=True)
        batch_op.add_column(sa.Column("invoice_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("subscription_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("attempt", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("off_session", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index("uq_payment_intents_invoice_attempt", ["invoice_id", "attempt"], unique=True)
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.alter_column("order_id", existing_type=sa.String(length=40), nullable=True)


def downgrade() -> None:
    # Renewal intents (and their refunds) have no order: they cannot survive the old schema.
    op.execute("DELETE FROM refunds WHERE order_id IS NULL")
    op.execute("DELETE FROM payment_intents WHERE order_id IS NULL")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.alter_column("order_id", existing_type=sa.String(length=40), nullable=False)
    with op.batch_alter_table("payment_intents", schema=None) as batch_op:
        batch_op.drop_index("uq_payment_intents_invoice_attempt")
        batch_op.drop_column("off_session")
        batch_op.drop_column("attempt")
        batch_op.drop_column("subscription_id")
        batch_op.drop_column("invoice_id")
        batch_op.alter_column("order_id", existing_type=sa.String(length=40), nullable=False)
