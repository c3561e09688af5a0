"""Builds the customers service's collaborators once, for `app.py`, `worker.py` and `cli.py`."""

from __future__ import annotations

from dataclasses import dataclass

from billing_shared.db.uow import Database
from billing_shared.deps import BaseDeps
from customers.config import CustomersSettings
from customers.store import tables


@dataclass(frozen=True)
class Deps(BaseDeps):
    settings: CustomersSettings


def bootstrap(settings: CustomersSettings | None = None) -> Deps:
    s = settings or CustomersSettings()
    return Deps(
        settings=s, db=Database(s.db_url(), tables.metadata, tables.kit_tables, service=s.service_name)
    )
