"""Alembic environment: the connection comes from gateway.migrate (never from an .ini file)."""

from __future__ import annotations

from alembic import context

from gateway.store import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through `gateway migrate`.")
# Its own version table, so the gateway's history never collides with a service's in a shared DB.
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    version_table="gateway_alembic_version",
)
with context.begin_transaction():
    context.run_migrations()
