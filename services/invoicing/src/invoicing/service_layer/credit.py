"""Customer credit on invoices the platform charges itself: a draft takes what it can of the
balance before finalization, and an invoice whose total is negative becomes credit. Each is one
movement under the balance's lock, with its CustomerBalanceChanged event, in the caller's
transaction (see `invoicing.domain.credit`)."""

from __future__ import annotations

from datetime import datetime

from billing_shared.db.owned import OwnedReads
from billing_shared.db.uow import UnitOfWork
from invoicing.domain import credit, invoices
from invoicing.domain.credit import Movement
from invoicing.domain.invoices import Invoice
from invoicing.store.credit import CustomerBalances


def take_credit(uow: UnitOfWork, draft: Invoice, now: datetime) -> Invoice:
    """The draft with the customer's credit used on it (none when there is none or it owes none)."""
    if draft.total <= 0:
        return draft
    held = CustomerBalances(uow.session).lock_positive([draft.customer_id])
    after = invoices.use_credit(draft, held.get((draft.customer_id, draft.currency), 0), now)
    record_use(uow, after, now)
    return after


def record_use(uow: UnitOfWork, invoice: Invoice, now: datetime) -> None:
    """The movement of the credit an invoice used (`creditApplied`), if any."""
    if invoice.credit_applied > 0:
        _move(uow, invoice, -invoice.credit_applied, credit.APPLIED_TO_INVOICE, now)


def credit_negative_total(uow: UnitOfWork, invoice: Invoice, now: datetime) -> None:
    """A finalized invoice whose total is negative: that much becomes the customer's credit."""
    if invoice.total < 0:
        _move(uow, invoice, -invoice.total, credit.INVOICE_CREDIT, now)


def _move(uow: UnitOfWork, invoice: Invoice, amount: int, kind: str, now: datetime) -> None:
    """One movement of the invoice's customer's balance and its event; nothing on a replay."""
    moved = CustomerBalances(uow.session).move(
        customer_id=invoice.customer_id,
        currency=invoice.currency,
        amount=amount,
        kind=kind,
        invoice_id=invoice.id,
        subscription_id=invoice.subscription_id,
        now=now,
    )
    if moved is not None:
        uow.emit(moved[1])


MOVEMENTS = OwnedReads[Movement](CustomerBalances, "customer balance transaction")
get_movement = MOVEMENTS.one
list_movements = MOVEMENTS.page
