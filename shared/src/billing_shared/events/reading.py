"""A consumed event's data read into a command: one rule for every handler of every service.

The inbox has checked the event against its contract before a handler runs (an event that breaks
it is dead-lettered), so the data holds every key its version promises. A command's field
`customer_id` is read from the key `customerId` (or from the key named for it); a key missing from
the data is one that this version of the event does not carry (a later version's field), and
only a field typed `... | None` may be missing: it is None, never a default standing in for a
value that should have been there.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from billing_shared.naming import camel

C = TypeVar("C")


def command_from(cls: type[C], data: Mapping[str, Any], **keys: str) -> C:
    """`cls` (a dataclass) from an event's `data`; `keys` names the event's key for a field whose
    name differs, as `payment_intent_id="id"`."""
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        key = keys.get(field.name, camel(field.name))
        if key in data:
            values[field.name] = data[key]
        elif _optional(hints[field.name]):
            values[field.name] = None
        else:
            raise KeyError(f"{cls.__name__}.{field.name}: the event carries no {key!r}")
    return cls(**values)


def _optional(hint: Any) -> bool:
    origin = typing.get_origin(hint)
    return origin in (typing.Union, types.UnionType) and type(None) in typing.get_args(hint)
