"""Sample events as their publishers send them (each keeps its published contract: the inbox
dead-letters one that does not) and a database holding only the kit's tables, for tests and benchmarks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import MetaData

from billing_devtools.testing.kafka import TopicTail
from billing_shared.db.tables import add_kit_tables
from billing_shared.db.uow import Database
from billing_shared.events import catalog
from billing_shared.events.domain import DomainEvent
from billing_shared.events.envelope import Envelope, utc_now_iso
from billing_shared.ids import new_id
from billing_shared.pricing import LineInput, TaxRate, price_order

__all__ = [
    "TopicTail",
    "commit_events",
    "customer_event",
    "customer_record",
    "envelope",
    "kit_database",
    "new_customer_id",
    "order_created",
]


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


def customer_record(
    offset: int, customer_id: str, *, event_id: str | None = None, data: dict[str, object] | None = None
) -> SimpleNamespace:
    """A CustomerCreated record as Kafka hands it to a consumer (partition 0 of billing.customers):
    for tests of the inbox that stand in for the broker. `data` replaces the event's data."""
    event = customer_event(customer_id)
    env = Envelope(
        id=event_id or str(uuid.uuid4()),
        type=catalog.ce_type(event.name, event.version),
        source="/customers",
        subject=customer_id,
        time=utc_now_iso(),
        dataschema=catalog.dataschema(event.name, event.version),
        key=customer_id,
        data=event.data if data is None else data,
    )
    k, h, v = env.to_kafka()
    return SimpleNamespace(
        topic=catalog.TOPIC_CUSTOMERS, partition=0, offset=offset, key=k, headers=h, value=v
    )


def envelope(
    name: str, data: dict[str, Any], *, version: int = 1, source: str = "/tests", key: str | None = None
) -> Envelope:
    """`data` as the event `name` v`version`, keyed by `key` or, like most aggregates' events, by its `id`."""
    key = key or data["id"]
    return Envelope(
        id=str(uuid.uuid4()),
        type=catalog.ce_type(name, version),
        source=source,
        subject=key,
        time=utc_now_iso(),
        dataschema=catalog.dataschema(name, version),
        key=key,
        data=data,
    )


def order_created(
    customer_id: str,
    *,
    order_id: str | None = None,
    lines: list[tuple[int, int]] | None = None,
    currency: str = "EUR",
) -> Envelope:
    """OrderCreated v2 of a one-off order: `lines` are (quantity, unit price) at 20 % VAT on top."""
    rate = TaxRate("txr_TEST", "VAT", Decimal("0.2"), False)
    priced = price_order(
        currency, [LineInput(f"prod_{i}", q, p, rate) for i, (q, p) in enumerate(lines or [(1, 1999)])]
    )
    data = priced.to_dict()
    data.pop("trace")
    data |= {
        "id": order_id or new_id("ord"),
        "customerId": customer_id,
        "status": "draft",
        "billingCycleId": None,
        "couponCode": None,
        "createdAt": utc_now_iso(),
        "billingCycle": None,
        "coupon": None,
    }
    return envelope("OrderCreated", data, version=2, source="/orders")
