"""A database holding only the kit's tables, and sample events: for tests and benchmarks of the kit."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import MetaData

from billing_shared.db.tables import add_kit_tables
from billing_shared.db.uow import Database
from billing_shared.events.domain import DomainEvent
from billing_shared.ids import new_id
from billing_shared.testing.kafka import TopicTail

__all__ = ["TopicTail", "commit_events", "customer_event", "kit_database", "new_customer_id"]


def kit_database(url: str, service: str = "kittest") -> Database:
    metadata = MetaData()
    db = Database(url, metadata, add_kit_tables(metadata), service)
    metadata.create_all(db.engine)
    return db


def customer_event(customer_id: str, version: int = 1, name: str = "CustomerCreated") -> DomainEvent:
    now = datetime.now(UTC).isoformat()
    data: dict[str, object] = {
        "id": customer_id,
        "name": "Ann",
        "email": "ann@example.com",
        "billingAddress": None,
        "taxId": None,
        "preferredCurrency": None,
        "metadata": {},
        "createdAt": now,
        "updatedAt": now,
        "version": version,
    }
    if name == "CustomerUpdated":
        data["changed"] = ["name"]
    return DomainEvent(name, customer_id, data)


def new_customer_id() -> str:
    return new_id("cus")


def commit_events(db: Database, events: list[DomainEvent]) -> None:
    with db.unit_of_work() as uow:
        for e in events:
            uow.emit(e)
        uow.commit()
