"""Reads and writes of credit notes, each read with the number of the invoice it credits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, insert, select
from sqlalchemy.orm import Session

from billing_shared.db.records import record, row_values
from billing_shared.db.repository import filtered_page
from billing_shared.paging import Page, PageRequest
from invoicing.domain.credit_notes import CreditNote
from invoicing.store.tables import credit_notes, invoices


def _with_invoice_number() -> Select[Any]:
    """Invoices are never deleted; the outer join only keeps a note whose invoice is missing."""
    return select(credit_notes, invoices.c.number.label("invoice_number")).outerjoin(
        invoices, invoices.c.id == credit_notes.c.invoice_id
    )


class CreditNoteRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _from_row(row: Any) -> CreditNote:
        return record(CreditNote, row, amount=int(row.amount), reason=row.reason or "")

    def add(self, note: CreditNote) -> None:
        self.session.execute(insert(credit_notes).values(**row_values(note, credit_notes)))

    def get(self, note_id: str) -> CreditNote | None:
        row = self.session.execute(_with_invoice_number().where(credit_notes.c.id == note_id)).first()
        return self._from_row(row) if row else None

    def by_refund(self, refund_id: str) -> CreditNote | None:
        row = self.session.execute(
            _with_invoice_number().where(credit_notes.c.refund_id == refund_id)
        ).first()
        return self._from_row(row) if row else None

    def page(self, request: PageRequest, **filters: str | None) -> Page[CreditNote]:
        """Oldest first; each filter a column = value."""
        base = _with_invoice_number()
        return filtered_page(self.session, credit_notes, request, self._from_row, filters, base=base)
