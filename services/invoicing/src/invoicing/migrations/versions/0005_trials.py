"""trials and pauses: the order projection keeps a trial order's trial and plan (OrderCreated v3),
a subscription remembers that its SubscriptionTrialWillEnd was sent, and where its periods count
from after a pause; billing histories also hold the changes invoiced at once (`reason`); invoices
keep their lines' product names (OrderCreated v4) and a draft's memo and footer

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("order_projection", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trial", sa.JSON(), nullable=True))
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("line_texts", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("memo", sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column("footer", sa.String(length=1000), nullable=True))
    with op.batch_alter_table("subscription_billing_histories", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reason", sa.String(length=30), nullable=False, server_default="subscription_cycle")
        )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("trial_will_end_sent", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("period_anchor", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("footer")
        batch_op.drop_column("memo")
        batch_op.drop_column("line_texts")
    with op.batch_alter_table("subscription_billing_histories", schema=None) as batch_op:
        batch_op.drop_column("reason")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_column("period_anchor")
        batch_op.drop_column("trial_will_end_sent")
    with op.batch_alter_table("order_projection", schema=None) as batch_op:
        batch_op.drop_column("trial")
