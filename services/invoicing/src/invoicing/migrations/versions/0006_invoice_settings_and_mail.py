"""the merchant's invoice settings as revisions (invoices and credit notes keep the one they were
issued with), the mail outbox of automatic e-mails, and the kind of each recorded sending

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invoice_settings",
        sa.Column("revision", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("logo_type", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("revision"),
    )
    op.create_table(
        "outgoing_mail",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("invoice_id", sa.String(length=40), nullable=True),
        sa.Column("subscription_id", sa.String(length=40), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("sent_to", sa.String(length=320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    op.create_index("ix_outgoing_mail_customer_id", "outgoing_mail", ["customer_id"])
    op.create_index("ix_outgoing_mail_invoice_id", "outgoing_mail", ["invoice_id"])
    op.create_index("ix_outgoing_mail_next_attempt_at", "outgoing_mail", ["next_attempt_at"])
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("settings_revision", sa.Integer(), nullable=True))
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("settings_revision", sa.Integer(), nullable=True))
    with op.batch_alter_table("invoice_sends", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=30), nullable=False, server_default="invoice"))


def downgrade() -> None:
    with op.batch_alter_table("invoice_sends", schema=None) as batch_op:
        batch_op.drop_column("kind")
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.drop_column("settings_revision")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("settings_revision")
    op.drop_index("ix_outgoing_mail_next_attempt_at", table_name="outgoing_mail")
    op.drop_index("ix_outgoing_mail_invoice_id", table_name="outgoing_mail")
    op.drop_index("ix_outgoing_mail_customer_id", table_name="outgoing_mail")
    op.drop_table("outgoing_mail")
    op.drop_table("invoice_settings")
