"""Domain records to table rows and back, by name: a field and a column of the same name hold the
same value. What is stored another way (a nested value, a derived column) is passed explicitly, so
a repository says only what is special about its table.

Timestamps read back are made timezone-aware (SQLite returns naive datetimes for what we wrote in
UTC), so no repository converts them by hand.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Row, Table

from billing_shared.db.timestamps import aware
from billing_shared.pricing import PricedOrder

T = TypeVar("T")


def record(cls: type[T], row: Row[Any], **special: Any) -> T:
    """`cls` (a dataclass) from `row`: each field from the column of its name, `special` for the
    fields that are stored another way. Fields with no column keep their defaults."""
    columns = row._mapping
    values: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        if f.name in special or f.name not in columns:
            continue
        value = columns[f.name]
        values[f.name] = aware(value) if isinstance(value, datetime) else value
    return cls(**values, **special)


def row_values(obj: object, table: Table, *, skip: tuple[str, ...] = (), **special: Any) -> dict[str, Any]:
    """The row of `obj` in `table`: each column from the attribute of its name, `special` for the
    columns that hold something else (a derived key, a nested value in another shape), none of
    `skip` (a column the database fills, or one another write owns). A column that is none of
    these is a mistake, not a value to leave out silently."""
    values = {}
    for column in table.columns:
        if column.name in skip:
            continue
        if column.name in special:
            values[column.name] = special[column.name]
        elif hasattr(obj, column.name):
            values[column.name] = getattr(obj, column.name)
        else:
            raise KeyError(
                f"{type(obj).__name__} has no {column.name!r} for {table.name}; pass it or skip it"
            )
    return values


def priced_columns(priced: PricedOrder) -> dict[str, Any]:
    """A priced order as the tables that keep one store it: the totals to query on, and the
    whole result (lines and trace) to give back exactly."""
    return {
        "subtotal": priced.subtotal,
        "discount_total": priced.discount_total,
        "tax_total": priced.tax_total,
        "total": priced.total,
        "priced": priced.to_dict(),
    }
