"""The invoicing database object for a given URL."""

from __future__ import annotations

from billing_shared.db.uow import Database
from invoicing.store.tables import kit, metadata


def open_database(url: str) -> Database:
    return Database(url, metadata, kit, service="invoicing")
