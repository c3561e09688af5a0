"""seed: one switch per gateway this code knows (test, stripe), on

Revision ID: 0002
Revises: 0001
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    switches = sa.table(
        "gateway_switches",
        sa.column("id", sa.String),
        sa.column("enabled", sa.Boolean),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    op.bulk_insert(switches, [{"id": g, "enabled": True, "updated_at": now} for g in ("test", "stripe")])


def downgrade() -> None:
    op.execute("DELETE FROM gateway_switches")
