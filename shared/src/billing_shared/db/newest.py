"""Keeping the newest copy of another service's record: a projection row that events replace
whole, each carrying a mark that only grows (a version, a count, a moment of change). A replay
or a late redelivery carries an older or equal mark and changes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billing_shared.db.uow import affected


def keep_newest(
    session: Session, table: Table, key: Mapping[str, Any], values: Mapping[str, Any], mark: str
) -> bool:
    """Write `values` into the row of `key` (column = value) when the row is absent or its `mark`
    column is lower than `values[mark]`; False when the row known was as new. Concurrent first
    deliveries settle on the table's unique key."""
    where = [table.c[name] == value for name, value in key.items()]

    def replace_older() -> bool:
        res = session.execute(update(table).where(*where, table.c[mark] < values[mark]).values(**values))
        return bool(affected(res))

    if replace_older():
        return True
    try:
        with session.begin_nested():
            session.execute(insert(table).values(**key, **values))
    except IntegrityError:  # known already, or another delivery inserted it first: compare again
        return replace_older()
    return True
