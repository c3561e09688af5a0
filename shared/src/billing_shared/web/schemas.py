"""Base marshmallow schema: camelCase on the wire, unknown fields refused."""

from __future__ import annotations

import re
from collections.abc import Mapping

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate

from billing_shared.naming import camel
from billing_shared.web.field_types import money, ref

# An id in a path, a query or a body: every resource's id is shorter (a prefix and a ULID).
ID = validate.Length(1, 64)

# What no text column can hold: NUL (PostgreSQL refuses it) and unpaired UTF-16 surrogates (not
# Unicode, so not encodable as UTF-8). JSON can carry both ("\u0000", "\ud800").
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = "must not contain NUL (\\u0000) or unpaired surrogate (\\ud800-\\udfff) characters"


def unstorable_text(value: object) -> dict[object, object] | list[str] | None:
    """Marshmallow-shaped messages naming every string in `value` (keys included) that no
    database can store; None when there is none."""
    if isinstance(value, str):
        return [UNSTORABLE_MESSAGE] if _UNSTORABLE.search(value) else None
    found: dict[object, object] = {}
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and _UNSTORABLE.search(key):
                found["_schema"] = [f"a key {UNSTORABLE_MESSAGE}"]
            elif (bad := unstorable_text(item)) is not None:
                found[key] = bad
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            if (bad := unstorable_text(item)) is not None:
                found[i] = bad
    return found or None


class CamelSchema(Schema):
    class Meta:
        unknown = RAISE
        ordered = True

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        field_obj.data_key = field_obj.data_key or camel(field_name)

    @pre_load(pass_collection=True)
    def _refuse_unstorable_text(self, data: object, **_: object) -> object:
        """Every body and query string the services take passes here first: text that cannot be
        stored is a 422 naming its field, never a database error (a 500) later."""
        if (bad := unstorable_text(data)) is not None:
            raise ValidationError(bad if isinstance(bad, dict) else {"_schema": bad})
        return data


class ListArgs(CamelSchema):
    """The one pagination style: `limit` and `startingAfter=<id>`; answers `{data, hasMore}`
    (`billing_shared.web.responses`)."""

    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))
    starting_after = fields.String(load_default=None, validate=validate.Length(1, 64))


def list_of(item: type[Schema]) -> type[Schema]:
    """The list answer of `item`: `{"data": [...], "hasMore": bool}`, named `<Item>ListSchema` as
    the OpenAPI document shows it (`CustomerSchema` -> `CustomerList`)."""
    name = item.__name__.removesuffix("Schema") + "ListSchema"
    return type(
        name, (CamelSchema,), {"data": fields.List(fields.Nested(item)), "has_more": fields.Boolean()}
    )


class PricedLineSchema(CamelSchema):
    """One line of a priced order, as orders prices it and invoices copy it to the cent."""

    product_id = ref()
    quantity = fields.Integer()
    unit_price = money()
    subtotal = money()
    discount = money()
    tax_rule_id = ref(allow_none=True)
    tax_name = fields.String(allow_none=True)
    tax_rate = fields.String(metadata={"description": "exact decimal string"})
    tax_inclusive = fields.Boolean()
    tax = money()
    total = money()
