"""One Database object per process, and a unit of work per change.

A unit of work is one transaction: the state change and the events it raises (outbox rows)
commit together or not at all. On PostgreSQL the commit also NOTIFYs the outbox relay so it
publishes within milliseconds instead of waiting for a poll.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, MetaData, Result, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from billing_shared.db.engine import WRITE_OPTION, is_sqlite, make_engine
from billing_shared.db.tables import KitTables
from billing_shared.events.domain import DomainEvent
from billing_shared.events.envelope import Envelope
from billing_shared.outbox import store


def affected(result: Result[Any]) -> int:
    """Rows changed by an INSERT/UPDATE/DELETE executed through a session."""
    return int(cast(CursorResult[Any], result).rowcount)


class UnitOfWork:
    def __init__(self, session: Session, db: Database) -> None:
        self.session = session
        self._db = db
        self.events: list[Envelope] = []

    def emit(self, event: DomainEvent) -> Envelope:
        env = store.append(self.session, self._db.kit_tables.outbox, self._db.source, event)
        self.events.append(env)
        self._emitted([env])
        return env

    def emit_many(self, events: list[DomainEvent]) -> list[Envelope]:
        """Many events in one insert, in their order (ids keep commit order for the relay)."""
        envs = store.append_many(self.session, self._db.kit_tables.outbox, self._db.source, events)
        self.events.extend(envs)
        self._emitted(envs)
        return envs

    def _emitted(self, envs: list[Envelope]) -> None:
        if self._db.on_emit is not None and envs:
            self._db.on_emit(self.session, envs)

    def commit(self) -> None:
        if self.events and not self._db.sqlite:
            self.session.execute(select(func.pg_notify(store.NOTIFY_CHANNEL, "")))
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
        self.events.clear()


# What a service writes, in the same transaction, because of events it emits (invoicing queues the
# e-mails its invoice and subscription events call for): it commits or rolls back with them.
OnEmit = Callable[[Session, list[Envelope]], None]


class Database:
    def __init__(
        self,
        url: str,
        metadata: MetaData,
        kit_tables: KitTables,
        service: str,
        *,
        on_emit: OnEmit | None = None,
    ) -> None:
        self.url = url
        self.on_emit = on_emit
        self.metadata = metadata
        self.kit_tables = kit_tables
        self.service = service
        self.source = f"/{service}"
        self.engine: Engine = make_engine(url)
        self.sqlite = is_sqlite(self.engine)
        self._write = sessionmaker(bind=self.engine.execution_options(**{WRITE_OPTION: True}))
        self._read = sessionmaker(bind=self.engine)

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[UnitOfWork]:
        """Commit is explicit (`uow.commit()`); leaving the block without it rolls back."""
        session = (self._write if write else self._read)(expire_on_commit=False)
        uow = UnitOfWork(session, self)
        try:
            yield uow
        finally:
            if session.in_transaction():
                session.rollback()
            session.close()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
