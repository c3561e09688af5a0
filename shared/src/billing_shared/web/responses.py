"""The answers every route gives the same way: one resource (with its ETag and, when created, its
Location), and one list page (`{"data": [...], "hasMore": bool}`, paged by `limit` and
`startingAfter`). Also the documented headers and security that every operation shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from flask import Response, jsonify, make_response

from billing_shared.concurrency import etag
from billing_shared.paging import Page, PageRequest
from billing_shared.web.context import caller_scope, reading

T = TypeVar("T")


class Resource(Protocol):
    @property
    def id(self) -> str: ...


R = TypeVar("R", bound=Resource)

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


@dataclass(frozen=True)
class ResourceAnswer(Generic[R]):
    """How a route answers with one resource of a kind: `body(resource)` as JSON, its version as
    the ETag when it has one, and with a 201 its Location, `path`/id."""

    body: Callable[[R], dict[str, Any]]
    path: str

    def __call__(self, resource: R, status: int = 200) -> Response:
        version = getattr(resource, "version", None)
        location = f"{self.path}/{resource.id}"
        return resource_response(self.body(resource), version=version, status=status, location=location)


def page_request(args: dict[str, Any]) -> PageRequest:
    """From a query loaded by `billing_shared.web.schemas.ListArgs`."""
    return PageRequest(limit=args["limit"], starting_after=args["starting_after"])


def list_filters(args: dict[str, Any]) -> dict[str, Any]:
    """What a list was asked for besides its page (the filters a `ListArgs` subclass adds), by the
    names the list's use case takes."""
    return {name: value for name, value in args.items() if name not in ("limit", "starting_after")}


def list_response(page: Page[T], wire: Callable[[T], Any]) -> Response:
    return jsonify(data=[wire(item) for item in page.items], hasMore=page.has_more)


def list_answer(
    args: dict[str, Any], use_case: Callable[..., Page[T]], wire: Callable[[T], Any], *, scoped: bool = True
) -> Response:
    """The one list route: the list's use case on the request's page and filters (and, when the
    resources belong to customers, the caller's `CustomerScope`), in a read-only unit of work."""
    with reading() as uow:
        if scoped:
            found = use_case(uow, caller_scope(), page_request(args), **list_filters(args))
        else:
            found = use_case(uow, page_request(args), **list_filters(args))
    return list_response(found, wire)


# A hosted page (an invoice, its checkout) is a self-contained document: no scripts, no outside
# assets. No `form-action`: a checkout's redirect goes on to a gateway's 3D Secure page (another
# origin, any gateway's), and browsers hold redirects after a form to that directive as well.
# The logo is the one image, inlined as a data: URI (no request leaves the page).
HOSTED_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def hosted_page(html: str, status: int = 200) -> Response:
    """A page reached by a signed link without login: never cached, never indexed, and the link
    (its token is the credential) never sent on as a Referer."""
    resp = Response(html, status=status, mimetype="text/html")
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["X-Robots-Tag"] = "noindex, nofollow"
    resp.headers["Content-Security-Policy"] = HOSTED_PAGE_CSP
    return resp
