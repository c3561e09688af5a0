"""Resource ids: a kind prefix plus a ULID, so ids sort by creation time (cursor pagination)."""

from __future__ import annotations

from ulid import ULID


def new_id(prefix: str) -> str:
    return f"{prefix}_{ULID()}"
