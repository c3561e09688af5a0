"""The revisions of the merchant's invoice settings: rows are added, never changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, insert, select
from sqlalchemy.orm import Session

from invoicing.domain.documents import Logo
from invoicing.domain.invoice_settings import InvoiceSettings
from invoicing.store.tables import invoice_settings


class InvoiceSettingsRevisions:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, revision: int) -> InvoiceSettings | None:
        return self._one(select(invoice_settings).where(invoice_settings.c.revision == revision))

    def newest(self) -> InvoiceSettings | None:
        return self._one(select(invoice_settings).order_by(invoice_settings.c.revision.desc()).limit(1))

    def newest_revision(self) -> int:
        """The revision in force: 0 (the environment's) until the first change."""
        newest = self.session.execute(select(func.max(invoice_settings.c.revision))).scalar_one_or_none()
        return int(newest or 0)

    def _one(self, stmt: Select[Any]) -> InvoiceSettings | None:
        row = self.session.execute(stmt).first()
        if row is None:
            return None
        logo = Logo(bytes(row.logo), row.logo_type) if row.logo is not None and row.logo_type else None
        return InvoiceSettings.of(row.revision, dict(row.data), logo)

    def add(self, settings: InvoiceSettings, now: datetime) -> None:
        """The revision's row; a concurrent change that took the same number fails on the key."""
        self.session.execute(
            insert(invoice_settings).values(
                revision=settings.revision,
                data=settings.data(),
                logo=settings.logo.data if settings.logo else None,
                logo_type=settings.logo.content_type if settings.logo else None,
                created_at=now,
            )
        )
