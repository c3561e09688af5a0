"""Resource ids: a kind prefix plus a ULID, so ids sort by creation time (cursor pagination)."""

from __future__ import annotations

import re

from ulid import ULID

_ID = re.compile(r"^[a-z]{2,5}_[0-9A-HJKMNP-TV-Z]{26}$")


def new_id(prefix: str) -> str:
    return f"{prefix}_{ULID()}"


def looks_like(prefix: str, value: str) -> bool:
    return bool(_ID.match(value)) and value.startswith(prefix + "_")
