"""Timestamps read back from the database: SQLite returns naive datetimes for what we wrote in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


@overload
def aware(ts: datetime) -> datetime: ...
@overload
def aware(ts: None) -> None: ...
@overload
def aware(ts: datetime | None) -> datetime | None: ...


def aware(ts: datetime | None) -> datetime | None:
    """The same instant, timezone-aware (UTC when the driver dropped the zone)."""
    return ts if ts is None or ts.tzinfo else ts.replace(tzinfo=UTC)


def iso(ts: datetime | None) -> str | None:
    """The wire form of an optional timestamp: ISO 8601 with its offset, or None."""
    return None if ts is None else aware(ts).isoformat()
