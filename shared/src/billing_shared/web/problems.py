"""Every error leaves as RFC 9457 `application/problem+json`, validation errors with the field named."""

from __future__ import annotations

import json
import logging
from typing import Any

import marshmallow as ma
from flask import Flask, Response, request
from flask_smorest import Api
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from billing_shared.concurrency import ConcurrentChange
from billing_shared.db.outage import database_unavailable
from billing_shared.errors import PROBLEM_CONTENT_TYPE, FieldError, Problem, flatten_marshmallow

log = logging.getLogger(__name__)


def problem_response(problem: Problem) -> Response:
    body = json.dumps(problem.to_dict(instance=request.path if request else None))
    resp = Response(body, status=problem.status, content_type=PROBLEM_CONTENT_TYPE)
    for k, v in problem.headers.items():
        resp.headers[k] = v
    return resp


def _from_http_exception(error: HTTPException) -> Problem:
    code = error.code or 500
    data: dict[str, Any] = getattr(error, "data", None) or {}
    field_errors: list[FieldError] = []
    messages = data.get("messages") or data.get("errors")
    if isinstance(messages, dict):
        # webargs nests by location ({"json": {...}, "query": {...}}); the field path is what a client fixes
        for location, msgs in messages.items():
            prefix = "" if location in ("json", "form", "json_or_form") else f"{location}:"
            for fe in flatten_marshmallow(msgs):
                field_errors.append(FieldError(prefix + fe.field if prefix else fe.field, fe.message))
    if code == 422 and field_errors:
        names = ", ".join(sorted({fe.field for fe in field_errors}))
        detail = f"The request has invalid fields: {names}."
    elif code == 413:
        detail = "The request body is too large."
    elif code == 400 and any("JSON" in fe.message for fe in field_errors):
        detail = "The request body is not valid JSON."
    elif code == 404:
        detail = f"No resource at {request.path}."
    elif code == 405:
        detail = f"{request.method} is not allowed on {request.path}."
    elif code >= 500:
        detail = "The server failed to handle this request; it has been logged."
    else:
        detail = data.get("message") or error.description or error.name
    headers = dict(data.get("headers") or {})
    valid_methods = getattr(error, "valid_methods", None)
    if code == 405 and valid_methods:
        headers["Allow"] = ", ".join(valid_methods)  # RFC 9110 §15.5.6: a 405 lists what is allowed
    return Problem(code, detail, errors=field_errors, headers=headers)


class ProblemFieldSchema(ma.Schema):
    field = ma.fields.String(metadata={"description": "The field to fix (a dotted path)."})
    message = ma.fields.String()


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, as every error is answered (documentation only). Open to the
    extension members a problem may carry (`refundId`, `invoiceStatus`, `checks`, ...)."""

    class Meta:
        unknown = ma.INCLUDE

    type = ma.fields.String()
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()
    instance = ma.fields.String()
    errors = ma.fields.List(ma.fields.Nested(ProblemFieldSchema))


class ProblemApi(Api):
    """flask-smorest's Api, answering errors as problem+json instead of its own JSON shape, and
    documenting them so: every error response of the OpenAPI document is application/problem+json
    with the ProblemSchema (flask-smorest's default would promise JSON of another shape)."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        json_type: str = getattr(self, "DEFAULT_RESPONSE_CONTENT_TYPE", "application/json")
        self.DEFAULT_RESPONSE_CONTENT_TYPE: str = PROBLEM_CONTENT_TYPE
        try:
            super()._register_responses()
        finally:
            self.DEFAULT_RESPONSE_CONTENT_TYPE = json_type

    def handle_http_exception(self, error: HTTPException) -> Response:
        if (error.code or 500) >= 500:
            log.error("unhandled error", exc_info=getattr(error, "original_exception", None) or error)
        return problem_response(_from_http_exception(error))


def _too_deep(error: RecursionError) -> Response:
    """JSON nested thousands deep exhausts the parser's recursion (the stdlib's, under Flask's and
    webargs' parsing alike): that is the client's body, a 400, not a server failure. A recursion
    with no body to blame stays the 500 it is."""
    if request and request.content_length and request.is_json:
        return problem_response(Problem(400, "The JSON body is nested too deeply to parse; flatten it."))
    log.error("unhandled error", exc_info=error)
    return problem_response(Problem(500, "The server failed to handle this request; it has been logged."))


def _database_error(error: DBAPIError) -> Response:
    """The database down or restarting is a 503 the client may retry (found by the fault suite:
    a PostgreSQL restart answered 500); any other database error stays the 500 it is."""
    if database_unavailable(error):
        log.warning("database unavailable", extra={"error": str(error.orig or error)[:300]})
        return problem_response(
            Problem(503, "The database is unavailable; retry shortly.", headers={"Retry-After": "1"})
        )
    log.error("unhandled error", exc_info=error)
    return problem_response(Problem(500, "The server failed to handle this request; it has been logged."))


def _concurrent_change(error: ConcurrentChange) -> Response:
    """Another request saved the resource between this one's read and its write: nothing of this
    one was kept; the same request again sees the new version."""
    return problem_response(Problem(409, f"The {error.kind} changed while this request ran; retry."))


def _unroutable_path() -> Response | None:
    """NUL can be no part of any id (no database stores it): such a path names nothing."""
    if "\x00" in request.path:
        return problem_response(Problem(404, "No resource at this path (it contains a NUL character)."))
    return None


def install(app: Flask) -> None:
    app.register_error_handler(Problem, problem_response)
    app.register_error_handler(RecursionError, _too_deep)
    app.register_error_handler(DBAPIError, _database_error)
    app.register_error_handler(ConcurrentChange, _concurrent_change)
    app.before_request(_unroutable_path)
