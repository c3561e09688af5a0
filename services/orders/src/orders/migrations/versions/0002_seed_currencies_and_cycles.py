"""seed: every ISO 4217 currency with a minor unit (a few enabled), monthly and yearly cycles

Revision ID: 0002
Revises: 0001
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from iso4217 import Currency

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ENABLED = {"USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "KWD"}


def upgrade() -> None:
    now = datetime.now(UTC)
    currencies = sa.table(
        "currencies",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("exponent", sa.Integer),
        sa.column("enabled", sa.Boolean),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    rows = [
        {
            "code": c.code,
            "name": c.currency_name,
            "exponent": int(c.exponent),
            "enabled": c.code in ENABLED,
            "updated_at": now,
        }
        for c in Currency
        if c.exponent is not None
    ]
    op.bulk_insert(currencies, sorted(rows, key=lambda r: r["code"]))
    cycles = sa.table(
        "billing_cycles",
        sa.column("id", sa.String),
        sa.column("name", sa.String),
        sa.column("interval_unit", sa.String),
        sa.column("interval_count", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(
        cycles,
        [
            {
                "id": "bc_monthly",
                "name": "Monthly",
                "interval_unit": "month",
                "interval_count": 1,
                "created_at": now,
            },
            {
                "id": "bc_yearly",
                "name": "Yearly",
                "interval_unit": "year",
                "interval_count": 1,
                "created_at": now,
            },
        ],
    )


def downgrade() -> None:
    op.execute("DELETE FROM billing_cycles WHERE id IN ('bc_monthly', 'bc_yearly')")
    op.execute("DELETE FROM currencies")
