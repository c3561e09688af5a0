"""The app's collaborators inside a request: what a route needs to call its use case."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar, cast

from flask import Flask, current_app, request

from billing_shared.auth.flask import current_principal
from billing_shared.auth.scope import CustomerScope
from billing_shared.concurrency import IfMatch
from billing_shared.db.uow import Database, UnitOfWork
from billing_shared.deps import BaseDeps

EXTENSION = "billing_deps"
D = TypeVar("D", bound=BaseDeps)


def install(app: Flask, deps: BaseDeps) -> None:
    app.extensions[EXTENSION] = deps


def deps(kind: type[D] = BaseDeps) -> D:  # type: ignore[assignment]
    """This app's collaborators, as the service's own `Deps` type."""
    return deps_of(current_app, kind)


def deps_of(app: Flask, kind: type[D] = BaseDeps) -> D:  # type: ignore[assignment]
    found = app.extensions[EXTENSION]
    if not isinstance(found, kind):
        raise TypeError(f"the app was built with {type(found).__name__}, not {kind.__name__}")
    return cast(D, found)


def current_db() -> Database:
    return deps().db


@contextmanager
def reading() -> Iterator[UnitOfWork]:
    """A read-only unit of work for a query (nothing is committed)."""
    with current_db().unit_of_work(write=False) as uow:
        yield uow


def caller_scope() -> CustomerScope:
    return CustomerScope.of(current_principal())


def if_match() -> IfMatch | None:
    """The request's `If-Match`, for a command that changes a versioned resource."""
    return IfMatch.parse(request.headers.get("If-Match"))
