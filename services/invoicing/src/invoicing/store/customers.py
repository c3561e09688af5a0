"""What invoicing knows of customers (CustomerCreated / CustomerUpdated): the buyer an invoice is
addressed and e-mailed to. Each event carries the whole customer, so the row is replaced by any
newer version and never by an older one (a replay or a late redelivery)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from invoicing.store.tables import customer_projection


class CustomerProjection:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, customer_id: str) -> dict[str, Any] | None:
        row = self.session.execute(
            select(customer_projection.c.data).where(customer_projection.c.id == customer_id)
        ).first()
        return dict(row.data) if row else None

    def apply(self, data: dict[str, Any], now: datetime) -> bool:
        """Keep `data` if it is newer than what is known; False when it was not (stale/replay)."""
        customer_id, version = data["id"], int(data.get("version") or 0)
        row = self.session.execute(
            select(customer_projection.c.data)
            .where(customer_projection.c.id == customer_id)
            .with_for_update()
        ).first()
        if row is None:
            try:
                with self.session.begin_nested():
                    self.session.execute(
                        insert(customer_projection).values(id=customer_id, data=data, updated_at=now)
                    )
                return True
            except IntegrityError:  # a concurrent delivery inserted it: compare with theirs
                return self.apply(data, now)
        if int(row.data.get("version") or 0) >= version:
            return False
        self.session.execute(
            update(customer_projection)
            .where(customer_projection.c.id == customer_id)
            .values(data=data, updated_at=now)
        )
        return True
