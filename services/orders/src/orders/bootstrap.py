"""Builds the orders service's collaborators once, for `app.py`, `worker.py` and `cli.py`."""

from __future__ import annotations

from dataclasses import dataclass

from billing_shared.db.uow import Database
from billing_shared.deps import BaseDeps
from orders.config import OrdersSettings
from orders.store import tables


@dataclass(frozen=True)
class Deps(BaseDeps):
    settings: OrdersSettings


def bootstrap(settings: OrdersSettings | None = None) -> Deps:
    s = settings or OrdersSettings()
    db = Database(s.db_url(), tables.metadata, tables.kit_tables, service=s.service_name)
    return Deps(settings=s, db=db)
