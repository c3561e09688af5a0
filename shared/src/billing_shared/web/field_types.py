"""The house's field types in the API's answers and bodies, named once (as `db.columns` names
them for tables): an id is a string, an amount an integer of minor units, a time an ISO 8601
date-time. Keyword arguments (`allow_none`, `required`, `validate`, `metadata`) pass through."""

from __future__ import annotations

from typing import Any

from marshmallow import fields


def ref(**kwargs: Any) -> fields.String:
    """A resource's id: its own, or the one it refers to."""
    return fields.String(**kwargs)


def money(**kwargs: Any) -> fields.Integer:
    """An amount in integer minor units of the resource's currency (cents, not dollars)."""
    return fields.Integer(**kwargs)


def moment(**kwargs: Any) -> fields.DateTime:
    """A point in time, written in UTC with its offset."""
    return fields.DateTime(**kwargs)


def flag(**kwargs: Any) -> fields.Boolean:
    """A JSON true or false, nothing else: "yes", 1 or "false" are refused, as the document says."""
    return fields.Boolean(truthy={True}, falsy={False}, **kwargs)
