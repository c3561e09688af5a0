"""The shared web kit turns hostile input into 4xx problem+json before any service code or database
sees it: JSON nested thousands deep (400), text no database can store, NUL or unpaired surrogates,
in a body or a query (422 naming the field), a NUL in a path (404). Text that is merely exotic
passes untouched."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields

from billing_shared.web import problems
from billing_shared.web.schemas import CamelSchema, unstorable_text


class Address(CamelSchema):
    city = fields.String()


class Body(CamelSchema):
    full_name = fields.String(required=True)
    billing_address = fields.Nested(Address)
    tags = fields.List(fields.String())


class Query(CamelSchema):
    customer_id = fields.String()


def make_app() -> tuple[Flask, problems.ProblemApi]:
    app = Flask("t")
    app.config.update(API_TITLE="t", API_VERSION="1", OPENAPI_VERSION="3.0.3")
    problems.install(app)
    api = problems.ProblemApi(app)
    blp = Blueprint("things", __name__, url_prefix="/things")

    @blp.route("")
    class Things(MethodView):
        @blp.arguments(Query, location="query")
        def get(self, args: dict[str, Any]) -> Any:
            return jsonify(args)

        @blp.arguments(Body)
        def post(self, body: dict[str, Any]) -> Any:
            return jsonify(body)

    @blp.route("/<string:thing_id>")
    class Thing(MethodView):
        def get(self, thing_id: str) -> Any:
            return jsonify(id=thing_id)

    api.register_blueprint(blp)
    return app, api


@pytest.fixture()
def client() -> Any:
    return make_app()[0].test_client()


def test_deeply_nested_json_is_a_400(client: Any) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    r = client.post("/things", data=f'{{"fullName": {deep}}}', content_type="application/json")
    assert r.status_code == 400 and r.content_type == "application/problem+json", r.data[:200]


@pytest.mark.parametrize("bad", ["a\x00b", "x\ud800", "\udfff"])
def test_unstorable_text_is_a_422_naming_the_field(client: Any, bad: str) -> None:
    for body, field in (
        ({"fullName": bad}, "fullName"),
        ({"fullName": "ok", "billingAddress": {"city": bad}}, "billingAddress.city"),
        ({"fullName": "ok", "tags": ["fine", bad]}, "tags[1]"),
    ):
        r = client.post("/things", data=json.dumps(body), content_type="application/json")
        assert r.status_code == 422 and r.content_type == "application/problem+json", r.data[:200]
        assert field in [e["field"] for e in r.json["errors"]], r.json
    r = client.get("/things?customerId=cus_%00")
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "query:customerId", r.json


def test_a_nul_in_a_path_is_a_404(client: Any) -> None:
    r = client.get("/things/cus_%00x")
    assert r.status_code == 404 and r.content_type == "application/problem+json"


def test_exotic_but_storable_text_passes_untouched(client: Any) -> None:
    text = "Zoë 👩\u200d👩\u200d👧 \u202e 𝔘 \x07\x1b[31m \ufeff e\u0301 ' OR 1=1--"
    r = client.post("/things", data=json.dumps({"fullName": text}), content_type="application/json")
    assert r.status_code == 200 and r.json["full_name"] == text
    assert unstorable_text({"a": [text, {"b": text}]}) is None


def test_a_405_lists_the_allowed_methods(client: Any) -> None:
    r = client.open("/things/x", method="TRACE")
    assert r.status_code == 405 and r.content_type == "application/problem+json"
    assert "GET" in r.headers["Allow"] and "TRACE" not in r.headers["Allow"]


def test_errors_are_documented_as_problem_json() -> None:
    spec = make_app()[1].spec.to_dict()
    default = spec["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert list(default) == ["application/problem+json"]
    assert spec["components"]["schemas"]["Problem"]["additionalProperties"] is True
