"""What every repository does the same way: read one row (locked or not), filter and read a page
by keyset, save a versioned row."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Row, Select, Table, select, update
from sqlalchemy.orm import Session

from billing_shared.concurrency import ConcurrentChange
from billing_shared.db.uow import affected
from billing_shared.paging import Page, PageRequest

T = TypeVar("T")


def first(
    session: Session, stmt: Select[Any], load: Callable[[Row[Any]], T], *, for_update: bool = False
) -> T | None:
    """`stmt`'s first row as `load` makes it, or None; `for_update` locks the row until the
    transaction ends (the one order of locks a change takes is its caller's to keep)."""
    if for_update:
        stmt = stmt.with_for_update()
    row = session.execute(stmt).first()
    return None if row is None else load(row)


def equal_to(table: Table, **wanted: Any) -> list[ColumnElement[bool]]:
    """A list's filters: each named column equal to the value asked for; None (not asked) filters
    nothing."""
    return [table.c[name] == value for name, value in wanted.items() if value is not None]


def keyset_page(
    session: Session, stmt: Select[Any], key: ColumnElement[Any], request: PageRequest
) -> Page[Row[Any]]:
    """`stmt`'s rows in `key` order after `request.starting_after`: at most `request.limit`, read
    with one more to tell whether more follow. Ids are ULIDs, so id order is creation order."""
    stmt = stmt.order_by(key).limit(request.limit + 1)
    if request.starting_after:
        stmt = stmt.where(key > request.starting_after)
    rows = list(session.execute(stmt))
    return Page(rows[: request.limit], len(rows) > request.limit)


def save_versioned(
    session: Session, table: Table, ident: str, expected_version: int, values: dict[str, Any], *, kind: str
) -> None:
    """Write `values` on the condition that the row's version is still `expected_version`;
    ConcurrentChange when another writer saved first."""
    res = session.execute(
        update(table).where(table.c.id == ident, table.c.version == expected_version).values(**values)
    )
    if affected(res) != 1:
        raise ConcurrentChange(kind, ident)


def filtered_page(
    session: Session,
    table: Table,
    request: PageRequest,
    load: Callable[[Row[Any]], T],
    filters: Mapping[str, Any],
    *,
    base: Select[Any] | None = None,
) -> Page[T]:
    """A list of `table`'s records by id: those equal to every filter asked for (`equal_to`),
    read from `base` (a join that adds columns) or the table itself."""
    stmt = (select(table) if base is None else base).where(*equal_to(table, **filters))
    return keyset_page(session, stmt, table.c.id, request).map(load)
