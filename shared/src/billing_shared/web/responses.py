"""The answers every route gives the same way: one resource (with its ETag and, when created, its
Location), and one list page (`{"data": [...], "hasMore": bool}`, paged by `limit` and
`startingAfter`). Also the documented headers and security that every operation shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, jsonify, make_response

from billing_shared.concurrency import etag
from billing_shared.paging import Page, PageRequest

T = TypeVar("T")

BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "schema": {"type": "string"},
    "description": "Retry safely: the same key and body replays the first answer",
}
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "schema": {"type": "string"},
    "description": "Optional ETag; 412 when stale",
}


def resource_response(
    body: dict[str, Any], *, version: int | None = None, status: int = 200, location: str | None = None
) -> Response:
    """`location` is sent with a 201 only (the created resource's path)."""
    resp = make_response(jsonify(body), status)
    if version is not None:
        resp.headers["ETag"] = etag(version)
    if location is not None and status == 201:
        resp.headers["Location"] = location
    return resp


def page_request(args: dict[str, Any]) -> PageRequest:
    """From a query loaded by `billing_shared.web.schemas.ListArgs`."""
    return PageRequest(limit=args["limit"], starting_after=args["starting_after"])


def list_response(page: Page[T], wire: Callable[[T], Any]) -> Response:
    return jsonify(data=[wire(item) for item in page.items], hasMore=page.has_more)
