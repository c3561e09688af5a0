"""Reads and writes of invoices within a unit of work's session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billing_shared.db.repository import keyset_page, save_versioned
from billing_shared.db.timestamps import aware
from billing_shared.paging import Page, PageRequest
from billing_shared.pricing import PricedOrder
from invoicing.domain.invoices import Invoice
from invoicing.store.tables import invoices


class InvoiceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _from_row(row: Any) -> Invoice:
        return Invoice(
            id=row.id,
            order_id=row.order_id,
            customer_id=row.customer_id,
            currency=row.currency,
            status=row.status,
            priced=PricedOrder.from_dict(row.priced),
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
            number=row.number,
            amount_paid=row.amount_paid,
            payment_intent_id=row.payment_intent_id,
            version=row.version,
            finalized_at=aware(row.finalized_at),
            paid_at=aware(row.paid_at),
            voided_at=aware(row.voided_at),
            marked_uncollectible_at=aware(row.marked_uncollectible_at),
            billing_reason=row.billing_reason,
            subscription_id=row.subscription_id,
            period_start=aware(row.period_start),
            period_end=aware(row.period_end),
            sent_at=aware(row.sent_at),
            sent_to=row.sent_to,
            amount_refunded=row.amount_refunded,
            disputed=row.disputed,
            disputed_at=aware(row.disputed_at),
        )

    @staticmethod
    def _values(i: Invoice) -> dict[str, Any]:
        return {
            "id": i.id,
            "order_id": i.order_id,
            "customer_id": i.customer_id,
            "currency": i.currency,
            "status": i.status,
            "number": i.number,
            "subtotal": i.priced.subtotal,
            "discount_total": i.priced.discount_total,
            "tax_total": i.priced.tax_total,
            "total": i.priced.total,
            "amount_paid": i.amount_paid,
            "priced": i.priced.to_dict(),
            "payment_intent_id": i.payment_intent_id,
            "version": i.version,
            "created_at": i.created_at,
            "updated_at": i.updated_at,
            "finalized_at": i.finalized_at,
            "paid_at": i.paid_at,
            "voided_at": i.voided_at,
            "marked_uncollectible_at": i.marked_uncollectible_at,
            "billing_reason": i.billing_reason,
            "subscription_id": i.subscription_id,
            "period_start": i.period_start,
            "period_end": i.period_end,
            "sent_at": i.sent_at,
            "sent_to": i.sent_to,
            "amount_refunded": i.amount_refunded,
            "disputed": i.disputed,
            "disputed_at": i.disputed_at,
        }

    def add(self, invoice: Invoice) -> bool:
        """Insert; False when the order already has its invoice (the unique orderId said so)."""
        try:
            with self.session.begin_nested():
                self.session.execute(insert(invoices).values(**self._values(invoice)))
        except IntegrityError:
            return False
        return True

    def add_many(self, batch: list[Invoice]) -> None:
        """Insert many at once (the biller); a duplicate raises IntegrityError for the caller."""
        if batch:
            self.session.execute(insert(invoices), [self._values(i) for i in batch])

    def get(self, invoice_id: str, *, for_update: bool = False) -> Invoice | None:
        stmt = select(invoices).where(invoices.c.id == invoice_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = self.session.execute(stmt).first()
        return self._from_row(row) if row else None

    def by_order(self, order_id: str, *, for_update: bool = False) -> Invoice | None:
        stmt = select(invoices).where(invoices.c.order_id == order_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = self.session.execute(stmt).first()
        return self._from_row(row) if row else None

    def save(self, invoice: Invoice, *, expected_version: int) -> None:
        """ConcurrentChange when another writer saved a newer version first."""
        save_versioned(
            self.session, invoices, invoice.id, expected_version, self._values(invoice), kind="invoice"
        )

    def page(
        self,
        request: PageRequest,
        *,
        customer_id: str | None,
        order_id: str | None = None,
        status: str | None = None,
        subscription_id: str | None = None,
    ) -> Page[Invoice]:
        stmt = select(invoices)
        if customer_id:
            stmt = stmt.where(invoices.c.customer_id == customer_id)
        if order_id:
            stmt = stmt.where(invoices.c.order_id == order_id)
        if status:
            stmt = stmt.where(invoices.c.status == status)
        if subscription_id:
            stmt = stmt.where(invoices.c.subscription_id == subscription_id)
        return keyset_page(self.session, stmt, invoices.c.id, request).map(self._from_row)

    def id_of_payment(
        self, *, invoice_id: str | None, payment_intent_id: str | None, order_id: str | None
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
        found = self.session.execute(select(invoices.c.id).where(or_(*conditions)).limit(1)).scalar()
        return str(found) if found is not None else None
