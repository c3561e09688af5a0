"""Metadata, the free key/value pairs clients keep on a resource: one merge rule everywhere."""

from __future__ import annotations

from collections.abc import Mapping


def merge(current: Mapping[str, str], changes: Mapping[str, str | None]) -> dict[str, str]:
    """A PATCH of metadata merges key by key; a null value deletes its key."""
    merged = dict(current)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
