"""create_app: the orders HTTP service (catalog + orders), wired from settings."""

from __future__ import annotations

from flask import Flask

from billing_shared.logs import configure_logging
from billing_shared.web.app import create_service_app
from orders.api.catalog import blueprints as catalog_blueprints
from orders.api.orders import blp as orders_blp
from orders.config import OrdersSettings
from orders.store.database import open_database


def create_app(settings: OrdersSettings | None = None) -> Flask:
    s = settings or OrdersSettings()
    configure_logging(s.service_name, s.log_level)
    return create_service_app(
        settings=s,
        db=open_database(s.db_url()),
        blueprints=[*catalog_blueprints, orders_blp],
        title="Orders and catalog",
    )
