"""Rendering: every error the gateway answers itself is RFC 9457 problem+json from Problem.to_dict()."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from billing_shared.correlation import HEADER as REQUEST_ID
from billing_shared.errors import PROBLEM_CONTENT_TYPE, Problem


def problem_response(
    problem: Problem, request_id: str | None = None, instance: str | None = None
) -> web.Response:
    headers = dict(problem.headers)
    if request_id:
        headers[REQUEST_ID] = request_id
    return web.Response(
        status=problem.status,
        body=json.dumps(problem.to_dict(instance)).encode(),
        content_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(data).encode(), content_type="application/json", headers=headers
    )


def oauth_problem(status: int, error: str, detail: str, headers: dict[str, str] | None = None) -> Problem:
    """RFC 6749 §5.2 errors, as problem+json that also carries the OAuth `error` code."""
    return Problem(status, detail, headers=headers or {}, extra={"error": error, "error_description": detail})
