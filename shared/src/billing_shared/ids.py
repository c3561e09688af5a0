"""Resource ids: a kind prefix plus a ULID, so ids sort by creation time (cursor pagination)."""

from __future__ import annotations

from datetime import datetime, timedelta

from ulid import ULID


def new_id(prefix: str) -> str:
    return f"{prefix}_{ULID()}"


def issued_within(resource_id: str, seconds: float, now: datetime) -> bool:
    """Whether `resource_id` is one the platform could have issued in the last `seconds` (a ULID
    carries its creation time); False for an id of another shape or one from the future."""
    _, _, tail = resource_id.rpartition("_")
    try:
        made = ULID.from_str(tail).datetime
    except ValueError:
        return False
    return now - timedelta(seconds=seconds) <= made <= now + timedelta(seconds=1)
