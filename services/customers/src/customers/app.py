"""create_app: the customers HTTP service, wired from settings."""

from __future__ import annotations

from flask import Flask

from billing_shared.logs import configure_logging
from billing_shared.web.app import create_service_app
from customers.api.customers import blp
from customers.config import CustomersSettings
from customers.store.database import open_database


def create_app(settings: CustomersSettings | None = None) -> Flask:
    s = settings or CustomersSettings()
    configure_logging(s.service_name, s.log_level)
    db = open_database(s.db_url())
    return create_service_app(settings=s, db=db, blueprints=[blp], title="Customers")
