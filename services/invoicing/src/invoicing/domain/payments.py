"""What payments' events mean to invoicing. Pure: no Flask, no SQL.

A payment names either an order (its invoice is settled, and a recurring order's subscription
starts) or, with `orderId` null, the renewal invoice whose charge the biller requested (dunning).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OrderPayment:
    """An order's payment as invoicing applies it (also kept while the order is not known yet)."""

    order_id: str
    payment_intent_id: str | None
    amount: int
    gateway_id: str | None = None
    payment_method_token: str | None = None  # reused by the order's subscription, if it starts one


def is_renewal_charge(order_id: str | None, invoice_id: str | None) -> bool:
    """The answer to an InvoicePaymentRequested: it names the invoice and no order."""
    return invoice_id is not None and order_id is None
