"""Gapless numbers of invoices (INV) and credit notes (CN), one counter row per (series, year)."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from invoicing.store.tables import invoice_number_counters


class NumberSeries:
    """Gapless invoice numbers: the counter row of (series, year) is locked FOR UPDATE by the
    finalizing transaction and incremented in it, so a rollback gives the number back and two
    finalizations wait for each other instead of sharing one."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _locked(self, series: str, year: int) -> int | None:
        stmt = (
            select(invoice_number_counters.c.last_number)
            .where(invoice_number_counters.c.series == series, invoice_number_counters.c.year == year)
            .with_for_update()
        )
        value = self.session.execute(stmt).scalar()
        return None if value is None else int(value)

    def next(self, series: str, year: int) -> int:
        return self.take(series, year, 1)

    def take(self, series: str, year: int, count: int) -> int:
        """`count` consecutive numbers; returns the first. The counter stays locked until commit."""
        last = self._locked(series, year)
        if last is None:
            try:
                with self.session.begin_nested():
                    self.session.execute(
                        insert(invoice_number_counters).values(series=series, year=year, last_number=0)
                    )
            except IntegrityError:
                pass  # another transaction created it first: lock theirs
            last = self._locked(series, year)
            assert last is not None
        self.session.execute(
            update(invoice_number_counters)
            .where(invoice_number_counters.c.series == series, invoice_number_counters.c.year == year)
            .values(last_number=last + count)
        )
        return last + 1
