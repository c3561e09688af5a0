"""The customers HTTP API, built from the bootstrapped collaborators."""

from __future__ import annotations

from flask import Flask

from billing_shared.auth.verifier import TokenVerifier
from billing_shared.web.app import create_service_app
from customers.api import customers
from customers.bootstrap import bootstrap
from customers.config import CustomersSettings


def create_app(settings: CustomersSettings | None = None, *, verifier: TokenVerifier | None = None) -> Flask:
    return create_service_app(
        bootstrap(settings), blueprints=[customers.blp], title="Customers", verifier=verifier
    )
