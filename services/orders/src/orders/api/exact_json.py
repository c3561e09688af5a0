"""Exact JSON numbers for the catalog's bodies: rates keep every digit, and a float sent as an
amount is refused, never truncated."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import flask
from flask_smorest import Blueprint
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request


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


class ExactJsonBlueprint(Blueprint):
    ARGUMENTS_PARSER = ExactJsonParser()
