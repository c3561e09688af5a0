"""Payments that arrived before their order's OrderCreated (two topics, no order between them):
kept until the order is known, then its draft is made and settled from it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from invoicing.domain.payments import OrderPayment
from invoicing.store.tables import early_payments


class EarlyPayments:
    def __init__(self, session: Session) -> None:
        self.session = session

    def keep(self, payment: OrderPayment, now: datetime) -> None:
        """Kept once per order: a redelivered payment finds it kept."""
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

    def take(self, order_id: str) -> OrderPayment | None:
        """The order's kept payment, removed as it is handed over; None when there is none."""
        row = self.session.execute(
            select(early_payments).where(early_payments.c.order_id == order_id).with_for_update()
        ).first()
        if row is None:
            return None
        self.session.execute(delete(early_payments).where(early_payments.c.order_id == order_id))
        return OrderPayment(
            order_id, row.payment_intent_id, int(row.amount), row.gateway_id, row.payment_method_token
        )
