"""Reads and writes of setup intents."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from billing_shared.db.records import record, row_values
from billing_shared.db.repository import filtered_page, first, save_versioned
from billing_shared.paging import Page, PageRequest
from payments.domain.intents import NextActionView
from payments.domain.setup_intents import SetupIntent
from payments.store.tables import setup_intents


class SetupIntentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _from_row(row: Any) -> SetupIntent:
        na = row.next_action
        return record(SetupIntent, row, next_action=NextActionView(na["type"], na["url"]) if na else None)

    @staticmethod
    def _values(s: SetupIntent) -> dict[str, Any]:
        na = s.next_action
        return row_values(s, setup_intents, next_action={"type": na.type, "url": na.url} if na else None)

    def add(self, setup: SetupIntent) -> None:
        self.session.execute(insert(setup_intents).values(**self._values(setup)))

    def get(self, setup_id: str, *, for_update: bool = False) -> SetupIntent | None:
        stmt = select(setup_intents).where(setup_intents.c.id == setup_id)
        return first(self.session, stmt, self._from_row, for_update=for_update)

    def by_provider_reference(self, gateway_id: str, reference: str) -> SetupIntent | None:
        stmt = select(setup_intents).where(
            setup_intents.c.gateway_id == gateway_id, setup_intents.c.provider_reference == reference
        )
        return first(self.session, stmt, self._from_row)

    def save(self, setup: SetupIntent, expected_version: int) -> None:
        save_versioned(
            self.session, setup_intents, setup.id, expected_version, self._values(setup), kind="setup intent"
        )

    def page(self, request: PageRequest, *, customer_id: str | None = None) -> Page[SetupIntent]:
        return filtered_page(
            self.session, setup_intents, request, self._from_row, {"customer_id": customer_id}
        )
