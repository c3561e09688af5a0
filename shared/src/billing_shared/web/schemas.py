"""Base marshmallow schema: camelCase on the wire, unknown fields refused."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from billing_shared.naming import camel


class CamelSchema(Schema):
    class Meta:
        unknown = RAISE
        ordered = True

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        field_obj.data_key = field_obj.data_key or camel(field_name)


class ListArgs(CamelSchema):
    """The one pagination style: `limit` and `startingAfter=<id>`; answers `{data, hasMore}`."""

    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))
    starting_after = fields.String(load_default=None, validate=validate.Length(1, 64))


def page(items: list[Any], limit: int) -> dict[str, Any]:
    """`items` was fetched with limit + 1 rows: the extra row only says there is more.
    Dumped by a list schema with `data` and `has_more` (→ `hasMore`)."""
    return {"data": items[:limit], "has_more": len(items) > limit}
