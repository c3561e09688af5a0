"""Python snake_case inside, camelCase on the wire (API bodies and event data)."""

from __future__ import annotations


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)
