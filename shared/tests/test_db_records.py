"""Records to rows and back by name: what a repository no longer writes by hand must not lose a
column silently, nor come back with a naive timestamp."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, create_engine, insert, select

from billing_shared.db.records import record, row_values

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", String(10), primary_key=True),
    Column("name", String(20)),
    Column("name_key", String(20)),
    Column("created_at", DateTime(timezone=True)),
    Column("calls", Integer),
)


@dataclass(frozen=True)
class Thing:
    id: str
    name: str
    created_at: datetime
    tags: tuple[str, ...] = ()  # no column: keeps its default


def test_a_record_round_trips_and_comes_back_timezone_aware() -> None:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    thing = Thing("t1", "Ann", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    with engine.begin() as conn:
        conn.execute(insert(things).values(**row_values(thing, things, name_key="ann", skip=("calls",))))
        row = conn.execute(select(things)).one()
    back = record(Thing, row)
    assert back == thing and back.created_at.tzinfo is not None  # SQLite returns it naive
    assert record(Thing, row, name="Bea").name == "Bea", "what is stored another way is passed in"


def test_a_column_that_the_record_does_not_hold_is_an_error_not_a_gap() -> None:
    thing = Thing("t1", "Ann", datetime.now(UTC))
    with pytest.raises(KeyError, match="name_key"):
        row_values(thing, things, skip=("calls",))
