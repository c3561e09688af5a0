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
import functools
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from billing_shared.naming import camel

C = TypeVar("C")


def command_from(cls: type[C], data: Mapping[str, Any], **keys: str) -> C:
    """`cls` (a dataclass) from an event's `data`; `keys` names the event's key for a field whose
    name differs, as `payment_intent_id="id"`."""
    values: dict[str, Any] = {}
    for name, key, optional in _plan(cast(Any, cls), tuple(sorted(keys.items()))):
        if key in data:
            values[name] = data[key]
        elif optional:
            values[name] = None
        else:
            raise KeyError(f"{cls.__name__}.{name}: the event carries no {key!r}")
    return cls(**values)


@functools.cache
def _plan(cls: Any, keys: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str, bool], ...]:
    """(field, the event's key for it, may it be missing) for every field of `cls`: worked out once
    per command, not for every event a worker applies (type hints are costly to resolve)."""
    names = [f.name for f in dataclasses.fields(cls)]
    renamed = dict(keys)
    if unknown := set(renamed) - set(names):
        raise TypeError(f"{cls.__name__} has no field {sorted(unknown)}")
    hints = typing.get_type_hints(cls)
    return tuple((name, renamed.get(name, camel(name)), _optional(hints[name])) for name in names)


def _optional(hint: Any) -> bool:
    origin = typing.get_origin(hint)
    return origin in (typing.Union, types.UnionType) and type(None) in typing.get_args(hint)
