"""Reads and writes of credit notes, and finding the invoice a refund or dispute belongs to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from billing_shared.db.timestamps import aware
from invoicing.domain.credit_notes import CreditNote
from invoicing.store.tables import credit_notes, invoices


class CreditNoteRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _from_row(row: Any) -> CreditNote:
        created_at = aware(row.created_at)
        assert created_at is not None
        return CreditNote(
            id=row.id,
            number=row.number,
            invoice_id=row.invoice_id,
            customer_id=row.customer_id,
            currency=row.currency,
            amount=int(row.amount),
            reason=row.reason or "",
            refund_id=row.refund_id,
            payment_intent_id=row.payment_intent_id,
            created_at=created_at,
        )

    def add(self, note: CreditNote) -> None:
        self.session.execute(
            insert(credit_notes).values(
                id=note.id,
                number=note.number,
                invoice_id=note.invoice_id,
                customer_id=note.customer_id,
                currency=note.currency,
                amount=note.amount,
                reason=note.reason,
                refund_id=note.refund_id,
                payment_intent_id=note.payment_intent_id,
                created_at=note.created_at,
            )
        )

    def get(self, note_id: str) -> CreditNote | None:
        row = self.session.execute(select(credit_notes).where(credit_notes.c.id == note_id)).first()
        return self._from_row(row) if row else None

    def by_refund(self, refund_id: str) -> CreditNote | None:
        row = self.session.execute(select(credit_notes).where(credit_notes.c.refund_id == refund_id)).first()
        return self._from_row(row) if row else None

    def page(
        self, *, limit: int, starting_after: str | None, invoice_id: str | None, customer_id: str | None
    ) -> list[CreditNote]:
        stmt = select(credit_notes).order_by(credit_notes.c.id).limit(limit)
        if starting_after:
            stmt = stmt.where(credit_notes.c.id > starting_after)
        if invoice_id:
            stmt = stmt.where(credit_notes.c.invoice_id == invoice_id)
        if customer_id:
            stmt = stmt.where(credit_notes.c.customer_id == customer_id)
        return [self._from_row(r) for r in self.session.execute(stmt)]


def invoice_id_of_payment(
    session: Session, *, invoice_id: str | None, payment_intent_id: str | None, order_id: str | None
) -> str | None:
    """The invoice a payment event speaks of: its `invoiceId` (v2, renewal charges), else the
    invoice paid by that intent, else the order's one invoice."""
    if invoice_id:
        return invoice_id
    conditions = []
    if payment_intent_id:
        conditions.append(invoices.c.payment_intent_id == payment_intent_id)
    if order_id:
        conditions.append(invoices.c.order_id == order_id)
    if not conditions:
        return None
    found = session.execute(select(invoices.c.id).where(or_(*conditions)).limit(1)).scalar()
    return str(found) if found is not None else None
