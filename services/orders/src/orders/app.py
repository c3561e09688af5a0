"""The orders HTTP API (the catalog and orders), built from the bootstrapped collaborators."""

from __future__ import annotations

from flask import Flask

from billing_shared.auth.verifier import TokenVerifier
from billing_shared.web.app import create_service_app
from orders.api import billing_cycles, coupons, currencies, orders, products, tax_rules
from orders.bootstrap import bootstrap
from orders.config import OrdersSettings

BLUEPRINTS = [currencies.blp, billing_cycles.blp, products.blp, tax_rules.blp, coupons.blp, orders.blp]


def create_app(settings: OrdersSettings | None = None, *, verifier: TokenVerifier | None = None) -> Flask:
    return create_service_app(
        bootstrap(settings), blueprints=BLUEPRINTS, title="Orders and catalog", verifier=verifier
    )
