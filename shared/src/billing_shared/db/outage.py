"""Telling a database outage from a bug: the inbox waits one out instead of dead-lettering the
event, and the web kit answers it 503 with Retry-After instead of 500."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError


def database_unavailable(exc: BaseException) -> bool:
    """The database, not the request or the event, failed: it is down, restarting, or dropped the
    connection."""
    return isinstance(exc, (OperationalError, InterfaceError)) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )
