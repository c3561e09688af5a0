"""Invoices: the state machine and the events each change raises. Pure: no Flask, no SQL.

draft -> open (finalized: number assigned, content frozen) -> paid | void | uncollectible;
a draft may also be voided. The lines and totals are the order's, rebuilt with
`PricedOrder.from_dict` from its OrderCreated data and never recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from billing_shared.errors import Problem
from billing_shared.events.domain import DomainEvent
from billing_shared.pricing import PricedOrder

DRAFT, OPEN, PAID, VOID, UNCOLLECTIBLE = "draft", "open", "paid", "void", "uncollectible"
STATUSES = (DRAFT, OPEN, PAID, VOID, UNCOLLECTIBLE)
FINALIZE, PAY, VOID_ACTION, MARK_UNCOLLECTIBLE = "finalize", "pay", "void", "mark-uncollectible"
SEND = "send"  # e-mail the finalized invoice (again) to the customer
SERIES = "INV"
# Why the invoice exists: an order, a subscription's period, a change to a subscription (its
# proration lines; a negative total is credit to the customer), or the merchant's one-off items
# invoiced now (`POST /Invoices {customerId, includePendingItems}`: no order, no subscription).
ORDER, SUBSCRIPTION_CYCLE, SUBSCRIPTION_UPDATE = "order", "subscription_cycle", "subscription_update"
MANUAL = "manual"
BILLING_REASONS = (ORDER, SUBSCRIPTION_CYCLE, SUBSCRIPTION_UPDATE, MANUAL)

# The actions each status allows (what `allowedActions` shows). `pay` happens by events only.
_ALLOWED: dict[str, tuple[str, ...]] = {
    DRAFT: (FINALIZE, VOID_ACTION),
    OPEN: (PAY, VOID_ACTION, MARK_UNCOLLECTIBLE, SEND),
    PAID: (SEND,),
    VOID: (),
    UNCOLLECTIBLE: (SEND,),
}


def format_number(series: str, year: int, seq: int) -> str:
    """`INV`, 2026, 1 -> `INV-2026-000001` (more digits once a year passes 999,999)."""
    return f"{series}-{year}-{seq:06d}"


@dataclass(frozen=True)
class Invoice:
    id: str
    order_id: str | None  # None for a subscription's invoice and a manual one
    customer_id: str
    currency: str
    status: str
    priced: PricedOrder
    created_at: datetime
    updated_at: datetime
    number: str | None = None
    amount_paid: int = 0
    payment_intent_id: str | None = None
    version: int = 1
    finalized_at: datetime | None = None
    paid_at: datetime | None = None
    voided_at: datetime | None = None
    marked_uncollectible_at: datetime | None = None
    billing_reason: str = ORDER  # one of BILLING_REASONS
    subscription_id: str | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None
    sent_at: datetime | None = None
    sent_to: str | None = None
    amount_refunded: int = 0
    disputed: bool = False
    disputed_at: datetime | None = None
    # Paid outside any gateway (a bank transfer, cash), as the merchant recorded it, and its reference.
    paid_out_of_band: bool = False
    payment_reference: str | None = None
    credit_applied: int = 0  # the customer's credit used on it before any charge
    # Each line's product name and description as ordered (aligned with `priced.lines`; empty for
    # an invoice made before names were carried): what documents show instead of the product id.
    line_texts: list[dict[str, Any]] = field(default_factory=list)
    memo: str | None = None  # the merchant's note to the customer, set while a draft
    footer: str | None = None  # the last words on the document, set while a draft
    # The InvoiceSettings revision its documents show, fixed at finalization (a draft: the newest).
    settings_revision: int | None = None

    def texts(self) -> list[dict[str, Any]]:
        """Each line's name and description (a name falls back to the product id)."""
        return [
            {
                "name": self.line_name(i),
                "description": (self.line_texts[i] if i < len(self.line_texts) else {}).get("description"),
            }
            for i in range(len(self.priced.lines))
        ]

    def line_name(self, i: int) -> str:
        """The i-th line's label: its product's name as ordered, else the product id."""
        text = self.line_texts[i] if i < len(self.line_texts) else {}
        return str(text.get("name") or self.priced.lines[i].product_id)

    @property
    def total(self) -> int:
        return self.priced.total

    @property
    def amount_due(self) -> int:
        """What the customer still owes: nothing once paid or voided, nor on a credit (a negative
        total), and the credit used on it is not owed either."""
        if self.status in (PAID, VOID):
            return 0
        return max(self.total - self.credit_applied - self.amount_paid, 0)

    @property
    def allowed_actions(self) -> list[str]:
        return list(_ALLOWED[self.status])

    def event_data(self) -> dict[str, Any]:
        """The common part of the v2 invoice events (a renewal invoice has no order)."""
        return self.base_data() | {
            "subscriptionId": self.subscription_id,
            "billingReason": self.billing_reason,
            "periodStart": self.period_start.isoformat() if self.period_start else None,
            "periodEnd": self.period_end.isoformat() if self.period_end else None,
            "creditApplied": self.credit_applied,
            "amountDue": self.amount_due,
        }

    def base_data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "orderId": self.order_id,
            "customerId": self.customer_id,
            "currency": self.currency,
            "total": self.total,
            "status": self.status,
        }


def draft(
    *,
    invoice_id: str,
    customer_id: str,
    priced: PricedOrder,
    now: datetime,
    order_id: str | None = None,
    subscription: tuple[str, datetime | None, datetime | None] | None = None,
    billing_reason: str | None = None,
    line_texts: list[dict[str, Any]] | None = None,
) -> tuple[Invoice, list[DomainEvent]]:
    """A new invoice in draft (InvoiceCreated): an order's (`order_id`), one period of a
    subscription's (`subscription`: its id and the period, finalized at once by the biller), a
    subscription's change (`billing_reason` SUBSCRIPTION_UPDATE, no period), or a manual one of
    one-off items (`billing_reason` MANUAL, neither order nor subscription)."""
    subscription_id, period_start, period_end = subscription or (None, None, None)
    inv = Invoice(
        id=invoice_id,
        order_id=order_id,
        customer_id=customer_id,
        currency=priced.currency,
        status=DRAFT,
        priced=priced,
        created_at=now,
        updated_at=now,
        billing_reason=billing_reason or (SUBSCRIPTION_CYCLE if subscription else ORDER),
        line_texts=list(line_texts or []),
        subscription_id=subscription_id,
        period_start=period_start,
        period_end=period_end,
    )
    data = inv.event_data() | {"createdAt": now.isoformat()}
    return inv, [DomainEvent("InvoiceCreated", inv.id, data, version=4)]


def texts_of(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The name and description each line carries (OrderCreated v4; older lines have none)."""
    return [{"name": line.get("name"), "description": line.get("description")} for line in lines]


def use_credit(inv: Invoice, available: int, now: datetime) -> Invoice:
    """A draft takes what it can of the customer's credit (`available`) before any charge."""
    if inv.status != DRAFT or available <= 0 or inv.total <= 0:
        return inv
    used = min(available, inv.total)
    return replace(inv, credit_applied=used, updated_at=now)


def annotate(inv: Invoice, changes: dict[str, str | None], now: datetime) -> Invoice:
    """A draft's `memo` and `footer` (None clears one); a finalized invoice's content is frozen."""
    if inv.status != DRAFT:
        raise _refuse(inv, "be edited", f"it is {inv.status}; only a draft's memo and footer change.")
    done = replace(inv, memo=changes.get("memo", inv.memo), footer=changes.get("footer", inv.footer))
    if done == inv:
        return inv
    return replace(done, updated_at=now, version=inv.version + 1)


def _refuse(inv: Invoice, action: str, why: str) -> Problem:
    return Problem(
        409,
        f"Invoice '{inv.id}' cannot {action}: {why}",
        extra={"invoiceStatus": inv.status, "allowedActions": inv.allowed_actions},
    )


def finalize(
    inv: Invoice, *, number: str, settings_revision: int, now: datetime
) -> tuple[Invoice, list[DomainEvent]]:
    """draft -> open with its number and the merchant's settings revision in force, which its
    documents show from now on. The caller takes the number in the same transaction."""
    if inv.status != DRAFT:
        raise _refuse(inv, "be finalized", f"it is {inv.status}; only a draft is finalized.")
    done = replace(
        inv,
        status=OPEN,
        number=number,
        settings_revision=settings_revision,
        finalized_at=now,
        updated_at=now,
        version=inv.version + 1,
    )
    data = done.event_data() | {"number": number, "finalizedAt": now.isoformat()}
    return done, [DomainEvent("InvoiceFinalized", inv.id, data, version=4)]


def pay(
    inv: Invoice,
    *,
    payment_intent_id: str | None,
    amount: int,
    now: datetime,
    out_of_band: bool = False,
    reference: str | None = None,
) -> tuple[Invoice, list[DomainEvent]]:
    """open -> paid (finalize a draft first), by a payment at a gateway or (`out_of_band`) one the
    merchant recorded. Paying a paid invoice again changes nothing."""
    if inv.status == PAID:
        return inv, []
    if inv.status != OPEN:
        raise _refuse(inv, "be paid", f"it is {inv.status}; only an open invoice is paid.")
    done = replace(
        inv,
        status=PAID,
        amount_paid=amount,
        payment_intent_id=payment_intent_id,
        paid_at=now,
        updated_at=now,
        version=inv.version + 1,
        paid_out_of_band=out_of_band,
        payment_reference=reference,
    )
    data = done.event_data() | {
        "number": done.number,
        "amountPaid": amount,
        "paymentIntentId": payment_intent_id,
        "paidAt": now.isoformat(),
        "paidOutOfBand": out_of_band,
        "paymentReference": reference,
    }
    return done, [DomainEvent("InvoicePaid", inv.id, data, version=5)]


def pay_out_of_band(inv: Invoice, reference: str | None, now: datetime) -> tuple[Invoice, list[DomainEvent]]:
    """The merchant records a payment made outside any gateway: the open invoice is paid in full,
    and no gateway is charged. Recording it on a paid invoice is refused (it was paid already)."""
    if inv.status == PAID:
        raise _refuse(inv, "be paid", "it is paid already.")
    return pay(
        inv, payment_intent_id=None, amount=inv.amount_due, now=now, out_of_band=True, reference=reference
    )


def void(inv: Invoice, now: datetime) -> tuple[Invoice, list[DomainEvent]]:
    if inv.status not in (DRAFT, OPEN):
        raise _refuse(inv, "be voided", f"it is {inv.status}; only a draft or open invoice is voided.")
    done = replace(inv, status=VOID, voided_at=now, updated_at=now, version=inv.version + 1)
    data = done.event_data() | {"number": done.number, "voidedAt": now.isoformat()}
    return done, [DomainEvent("InvoiceVoided", inv.id, data, version=4)]


def mark_uncollectible(inv: Invoice, now: datetime) -> tuple[Invoice, list[DomainEvent]]:
    if inv.status != OPEN:
        raise _refuse(inv, "be marked uncollectible", f"it is {inv.status}; only an open invoice is.")
    done = replace(
        inv, status=UNCOLLECTIBLE, marked_uncollectible_at=now, updated_at=now, version=inv.version + 1
    )
    data = done.event_data() | {"number": done.number, "markedUncollectibleAt": now.isoformat()}
    return done, [DomainEvent("InvoiceMarkedUncollectible", inv.id, data, version=4)]


def check_sendable(inv: Invoice) -> None:
    """Only a finalized, not voided invoice is e-mailed: a draft has no number and may still
    change, a void one is not owed. Checked before any mail goes out."""
    if SEND not in _ALLOWED[inv.status]:
        why = "it is a draft; finalize it first." if inv.status == DRAFT else f"it is {inv.status}."
        raise _refuse(inv, "be sent", why)


def sent(inv: Invoice, *, to: str, now: datetime, send_count: int) -> tuple[Invoice, list[DomainEvent]]:
    """Records a sending that already happened (the mail is out): sentAt/sentTo are the last one.
    Not refused here even if the invoice was voided meanwhile: the record must match the mail."""
    done = replace(inv, sent_at=now, sent_to=to, updated_at=now, version=inv.version + 1)
    data = {
        "id": inv.id,
        "number": inv.number,
        "orderId": inv.order_id,
        "customerId": inv.customer_id,
        "currency": inv.currency,
        "total": inv.total,
        "status": inv.status,
        "sentTo": to,
        "sentAt": now.isoformat(),
        "sendCount": send_count,
        "creditApplied": inv.credit_applied,
        "amountDue": inv.amount_due,
    }
    return done, [DomainEvent("InvoiceSent", inv.id, data, version=2)]


def refunded(inv: Invoice, *, amount_refunded: int, now: datetime) -> Invoice:
    """The payment's refunded total so far (payments' figure, never lowered by a late replay)."""
    total = max(inv.amount_refunded, amount_refunded)
    return replace(inv, amount_refunded=total, updated_at=now, version=inv.version + 1)


def flag_disputed(inv: Invoice, now: datetime) -> Invoice | None:
    """The payer opened a chargeback: the invoice shows it. None when already flagged (a replay)."""
    if inv.disputed:
        return None
    return replace(inv, disputed=True, disputed_at=now, updated_at=now, version=inv.version + 1)
