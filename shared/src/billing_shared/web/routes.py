"""The decorators every route stacks, composed once: who may call it, what it takes, what it
answers, and how the OpenAPI document describes it.

    @blp.route("/<string:order_id>/cancel")
    class OrderCancel(MethodView):
        @changes(blp, "orders:write", response=OrderSchema, if_match=True)
        def post(self, order_id: str) -> Response: ...

is `@requires("orders:write")`, `@transactional`, `@blp.response(200, OrderSchema)` and
`@blp.doc(security=BEARER, parameters=[IF_MATCH])`, in that order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Response
from flask_smorest import Blueprint

from billing_shared.auth.flask import requires
from billing_shared.web.responses import BEARER, IDEMPOTENCY_KEY, IF_MATCH, list_answer
from billing_shared.web.schemas import list_of
from billing_shared.web.transaction import transactional

F = TypeVar("F", bound=Callable[..., Any])
Scopes = str | tuple[str, ...]
# (status, schema, description) of a second documented success answer
Alternative = tuple[int, Any, str]


def reads(
    blp: Blueprint,
    scope: Scopes,
    *,
    response: Any,
    query: Any = None,
    body: Any = None,
) -> Callable[[F], F]:
    """A route that changes nothing: `query` (a query-string schema) or `body` (a request that only
    asks, e.g. a quote) is loaded into the view's first argument."""
    return _stack(blp, scope, response=response, status=200, query=query, body=body, transaction=False)


def changes(
    blp: Blueprint,
    scope: Scopes,
    *,
    response: Any,
    status: int = 200,
    body: Any = None,
    idempotent: bool = False,
    if_match: bool = False,
    alternatives: tuple[Alternative, ...] = (),
) -> Callable[[F], F]:
    """A route that changes something in one transaction (`@transactional`): `idempotent` documents
    the Idempotency-Key a create replays on, `if_match` the optional ETag check of an update."""
    parameters = [IDEMPOTENCY_KEY] * idempotent + [IF_MATCH] * if_match
    return _stack(
        blp,
        scope,
        response=response,
        status=status,
        body=body,
        transaction=True,
        parameters=parameters,
        alternatives=alternatives,
    )


def creates(
    blp: Blueprint, scope: Scopes, *, body: Any, response: Any, existing: str | None = None
) -> Callable[[F], F]:
    """A route that creates a resource: 201 with it, and the same request again with its
    Idempotency-Key replays that answer. `existing` documents the 200 of a create that finds the
    one resource already made (an order's one invoice, a scope's one tax rule)."""
    alternatives = () if existing is None else ((200, response, existing),)
    return changes(
        blp, scope, response=response, status=201, body=body, idempotent=True, alternatives=alternatives
    )


def _stack(
    blp: Blueprint,
    scope: Scopes,
    *,
    response: Any,
    status: int,
    transaction: bool,
    query: Any = None,
    body: Any = None,
    parameters: list[dict[str, Any]] | None = None,
    alternatives: tuple[Alternative, ...] = (),
) -> Callable[[F], F]:
    doc: dict[str, Any] = {"security": BEARER}
    if parameters:
        doc["parameters"] = parameters

    def decorate(view: F) -> F:
        view = blp.doc(**doc)(view)
        for alt_status, schema, description in reversed(alternatives):
            view = blp.alt_response(alt_status, schema=schema, description=description)(view)
        view = blp.response(status, response)(view)
        if query is not None:
            view = blp.arguments(query, location="query")(view)
        if body is not None:
            view = blp.arguments(body)(view)
        if transaction:
            view = transactional(view)
        for needed in reversed((scope,) if isinstance(scope, str) else scope):
            view = requires(needed)(view)
        return view

    return decorate


@dataclass(frozen=True)
class Listing:
    """What a collection lists: the query it takes (whose docstring documents the route), the
    schema of one item, the list's use case, and how an item is answered. `scoped`: the items
    belong to customers (a customer token lists only its own)."""

    query: Any
    item: Any
    use_case: Callable[..., Any]
    wire: Callable[[Any], Any]
    scoped: bool = True


def list_route(blp: Blueprint, path: str, scope: Scopes, listing: Listing) -> None:
    """The GET of a resource's collection, the one list route (`list_answer`), documented as
    answering `{data: [item], hasMore}`. The collection's POST, when it has one, is a view of its
    own on the same path."""

    def answer(args: dict[str, Any]) -> Response:
        return list_answer(args, listing.use_case, listing.wire, scoped=listing.scoped)

    answer.__doc__ = listing.query.__doc__
    endpoint = f"list{path.replace('/', '_')}" if path else "list"
    documented = reads(blp, scope, response=list_of(listing.item), query=listing.query)(answer)
    blp.route(path, methods=["GET"], endpoint=endpoint)(documented)
