"""Flask glue: `@requires("orders:read")` on a view verifies the bearer token and checks the scope.

Problems raised here are rendered by the service's own Problem error handler.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, current_app, g, request

from billing_shared.auth.principal import Principal
from billing_shared.auth.verifier import TokenVerifier, missing_token, require_scope

EXTENSION = "billing_auth"

F = TypeVar("F", bound=Callable[..., Any])


def init_auth(app: Flask, verifier: TokenVerifier) -> None:
    app.extensions[EXTENSION] = verifier


def verifier() -> TokenVerifier:
    return cast(TokenVerifier, current_app.extensions[EXTENSION])


def authenticate() -> Principal:
    """Verify this request's bearer token (no scope check) and remember the principal on `g`."""
    principal = verifier().authenticate(request.headers.get("Authorization"))
    g.principal = principal
    return principal


def requires(scope: str) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            require_scope(authenticate(), scope)
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


def current_principal() -> Principal:
    principal = g.get("principal")
    if principal is None:
        raise missing_token()
    return cast(Principal, principal)
