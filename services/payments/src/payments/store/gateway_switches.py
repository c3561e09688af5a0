"""The admin's gateway switches: one row per gateway this code knows, seeded by the migrations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from payments.store.tables import gateway_switches


class GatewaySwitches:
    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> dict[str, bool]:
        return {r.id: r.enabled for r in self.session.execute(select(gateway_switches))}

    def set(self, gateway_id: str, enabled: bool, now: datetime) -> None:
        self.session.execute(
            update(gateway_switches)
            .where(gateway_switches.c.id == gateway_id)
            .values(enabled=enabled, updated_at=now)
        )
