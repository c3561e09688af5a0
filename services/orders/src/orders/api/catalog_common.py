"""What the catalog's blueprints share: exact JSON numbers, the database, and documented headers."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import flask
from flask import current_app
from flask_smorest import Blueprint
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from billing_shared.db.uow import Database
from billing_shared.errors import FieldError, Problem

BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "schema": {"type": "string"},
    "description": "Retry safely: same key + same body replays",
}
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "schema": {"type": "string"},
    "description": "Optional ETag; 412 when stale",
}


class ExactJsonParser(FlaskParser):
    """Parses JSON numbers with a fraction or exponent as `Decimal`, never as float.

    A rate of 0.0725 sent as a JSON number is then exactly 0.0725, and an amount sent as 19.99 or
    1.0 reaches the strict integer fields as a Decimal and is refused there instead of truncated.
    """

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        # Bad UTF-8 and bad JSON raise what webargs turns into a 400 problem naming the body.
        text = req.get_data(cache=True).decode("utf-8")
        return json.loads(text, parse_float=Decimal, parse_constant=Decimal)


class CatalogBlueprint(Blueprint):
    ARGUMENTS_PARSER = ExactJsonParser()


def db() -> Database:
    database: Database = current_app.extensions["billing_db"]
    return database


def invalid(field: str, message: str) -> Problem:
    """A 422 for one field that only the database could check (an unknown id, a disabled currency)."""
    return refused([FieldError(field, message)])


def refused(errors: list[FieldError]) -> Problem:
    names = ", ".join(dict.fromkeys(e.field for e in errors))
    return Problem(422, f"The request has invalid fields: {names}.", errors=errors)
