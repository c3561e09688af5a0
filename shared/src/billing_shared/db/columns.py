"""The house's column types, named once: ids, references, money, currencies, moments, stamps.

Every service's tables are declared with these, so an id is the same width, an amount is an
integer of minor units and a time carries its zone in every database, whoever wrote the table.
Columns are NOT NULL unless `nullable=True` says otherwise.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

ID_LENGTH = 40  # "cus_" + a 26-character ULID, with room to spare


def identity(name: str = "id") -> sa.Column[Any]:
    """The resource's own id: the primary key."""
    return sa.Column(name, sa.String(ID_LENGTH), primary_key=True)


def reference(name: str, *args: Any, nullable: bool = False, **kwargs: Any) -> sa.Column[Any]:
    """The id of another resource (in this database or another service's)."""
    return sa.Column(name, sa.String(ID_LENGTH), *args, nullable=nullable, **kwargs)


def money(name: str, *, nullable: bool = False, **kwargs: Any) -> sa.Column[Any]:
    """An amount in integer minor units of the row's currency."""
    return sa.Column(name, sa.BigInteger, nullable=nullable, **kwargs)


def currency(name: str = "currency", *, nullable: bool = False) -> sa.Column[Any]:
    """An ISO 4217 code."""
    return sa.Column(name, sa.String(3), nullable=nullable)


def moment(name: str, *, nullable: bool = False, **kwargs: Any) -> sa.Column[Any]:
    """A point in time, stored with its zone (always UTC as written here)."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, **kwargs)


def text(name: str, length: int, *, nullable: bool = False, **kwargs: Any) -> sa.Column[Any]:
    """A bounded string: a name, a code, a state, a provider's reference."""
    return sa.Column(name, sa.String(length), nullable=nullable, **kwargs)


def document(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    """A JSON value kept whole (metadata, a priced order as published, an address)."""
    return sa.Column(name, sa.JSON, nullable=nullable)


def flag(name: str, *, nullable: bool = False, **kwargs: Any) -> sa.Column[Any]:
    return sa.Column(name, sa.Boolean, nullable=nullable, **kwargs)


def integer(name: str, *, nullable: bool = False, **kwargs: Any) -> sa.Column[Any]:
    return sa.Column(name, sa.Integer, nullable=nullable, **kwargs)


def stamps(*, versioned: bool = True) -> list[sa.Column[Any]]:
    """`version` (the optimistic-lock counter behind ETags) when versioned, then `created_at` and
    `updated_at`: the columns every mutable resource ends with."""
    versions = [integer("version")] if versioned else []
    return [*versions, moment("created_at"), moment("updated_at")]


def priced_totals() -> list[sa.Column[Any]]:
    """A priced order as stored (`records.priced_columns` writes it): the totals to query on and
    the whole result, lines and trace, to give back exactly."""
    return [
        money("subtotal"),
        money("discount_total"),
        money("tax_total"),
        money("total"),
        document("priced"),
    ]
