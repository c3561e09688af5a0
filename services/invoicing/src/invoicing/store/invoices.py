"""Reads and writes of invoices, the order projection, early payments and the number counters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billing_shared.db.timestamps import aware
from billing_shared.db.uow import affected
from billing_shared.pricing import PricedOrder
from invoicing.domain.invoices import Invoice
from invoicing.store.tables import early_payments, invoice_number_counters, invoices, order_projection


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

    def save(self, invoice: Invoice, *, expected_version: int) -> bool:
        values = self._values(invoice)
        values.pop("id")
        result = self.session.execute(
            update(invoices)
            .where(invoices.c.id == invoice.id, invoices.c.version == expected_version)
            .values(**values)
        )
        return affected(result) == 1

    def page(
        self,
        *,
        limit: int,
        starting_after: str | None,
        customer_id: str | None,
        order_id: str | None,
        status: str | None,
        subscription_id: str | None = None,
    ) -> list[Invoice]:
        stmt = select(invoices).order_by(invoices.c.id).limit(limit)
        if starting_after:
            stmt = stmt.where(invoices.c.id > starting_after)
        if customer_id:
            stmt = stmt.where(invoices.c.customer_id == customer_id)
        if order_id:
            stmt = stmt.where(invoices.c.order_id == order_id)
        if status:
            stmt = stmt.where(invoices.c.status == status)
        if subscription_id:
            stmt = stmt.where(invoices.c.subscription_id == subscription_id)
        return [self._from_row(r) for r in self.session.execute(stmt)]


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


class OrderProjection:
    """What invoicing knows of orders: the priced order of OrderCreated, and its status."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, order_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        stmt = select(order_projection).where(order_projection.c.id == order_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = self.session.execute(stmt).first()
        return dict(row._mapping) if row else None

    def add_created(self, data: dict[str, Any], now: datetime) -> bool:
        """From OrderCreated; False when the order was already known (a replay)."""
        values = {
            "id": data["id"],
            "customer_id": data["customerId"],
            "currency": data["currency"],
            "total": int(data["total"]),
            "status": str(data.get("status") or "draft"),
            "priced": {
                k: data[k] for k in ("currency", "lines", "subtotal", "discountTotal", "taxTotal", "total")
            }
            | {"couponCode": data.get("couponCode")},
            "billing_cycle": data.get("billingCycle"),  # v2 only: a v1 order starts no subscription
            "coupon": data.get("coupon"),
            "payment_intent_id": None,
            "created_at": now,
            "updated_at": now,
        }
        try:
            with self.session.begin_nested():
                self.session.execute(insert(order_projection).values(**values))
        except IntegrityError:
            return False
        return True

    def set_status(self, order_id: str, status: str, payment_intent_id: str | None, now: datetime) -> None:
        self.session.execute(
            update(order_projection)
            .where(order_projection.c.id == order_id)
            .values(status=status, payment_intent_id=payment_intent_id, updated_at=now)
        )


@dataclass(frozen=True)
class EarlyPayment:
    """An order's payment as invoicing applies it (also kept while the order is not known yet)."""

    order_id: str
    payment_intent_id: str | None
    amount: int
    gateway_id: str | None = None
    payment_method_token: str | None = None  # reused by the order's subscription, if it starts one


class EarlyPayments:
    def __init__(self, session: Session) -> None:
        self.session = session

    def keep(self, payment: EarlyPayment, now: datetime) -> None:
        try:
            with self.session.begin_nested():
                self.session.execute(
                    insert(early_payments).values(
                        order_id=payment.order_id,
                        payment_intent_id=payment.payment_intent_id,
                        amount=payment.amount,
                        gateway_id=payment.gateway_id,
                        payment_method_token=payment.payment_method_token,
                        received_at=now,
                    )
                )
        except IntegrityError:
            pass

    def take(self, order_id: str) -> EarlyPayment | None:
        row = self.session.execute(
            select(early_payments).where(early_payments.c.order_id == order_id).with_for_update()
        ).first()
        if row is None:
            return None
        self.session.execute(delete(early_payments).where(early_payments.c.order_id == order_id))
        return EarlyPayment(
            order_id, row.payment_intent_id, int(row.amount), row.gateway_id, row.payment_method_token
        )
