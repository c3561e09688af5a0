"""What billing a subscription at a moment does, decided without I/O: one renewal per period begun
by then (a draft invoice, its billing history row, the events), or the subscription's end.

Renewal charges go to payments by event (InvoicePaymentRequested, the saved method's token); its
answer comes back as PaymentSucceeded / PaymentFailed carrying the invoice id.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from billing_shared.events.domain import DomainEvent
from billing_shared.ids import new_id
from billing_shared.pricing import combine
from invoicing.domain import invoices, subscriptions
from invoicing.domain.billing_history import NO_PAYMENT_METHOD, PAID, PENDING, BillingHistory
from invoicing.domain.invoice_items import Priced
from invoicing.domain.invoices import Invoice
from invoicing.domain.subscriptions import Subscription


@dataclass
class Renewal:
    """One period to bill: its draft invoice, its history row and the events after finalization."""

    draft: Invoice
    created: list[DomainEvent]  # InvoiceCreated
    history: BillingHistory
    then: list[DomainEvent]  # SubscriptionRenewed, then InvoicePaymentRequested or SubscriptionPastDue


def charge_request(sub: Subscription, invoice: Invoice, attempt: int) -> DomainEvent:
    """InvoicePaymentRequested: payments charges the subscription's saved method off-session. A
    change's invoice has no period of its own: it names the subscription's current one."""
    assert sub.gateway_id and sub.payment_method_token
    start = invoice.period_start or sub.current_period_start
    end = invoice.period_end or sub.current_period_end
    return DomainEvent(
        "InvoicePaymentRequested",
        invoice.id,
        {
            "invoiceId": invoice.id,
            "subscriptionId": sub.id,
            "customerId": sub.customer_id,
            "amount": invoice.amount_due,
            "currency": invoice.currency,
            "gatewayId": sub.gateway_id,
            "paymentMethodToken": sub.payment_method_token,
            "attempt": attempt,
            "periodStart": start.isoformat(),
            "periodEnd": end.isoformat(),
        },
    )


def plan(
    sub: Subscription,
    as_of: datetime,
    now: datetime,
    max_periods: int = 36,
    credit: int = 0,
    items: Priced | None = None,
) -> tuple[Subscription, list[Renewal], list[DomainEvent]]:
    """What billing `sub` at `as_of` does: every period begun by then gets one renewal (or the
    subscription ends, when set to cancel at its period's end). Returns the subscription after,
    the renewals, and the events that are not about one renewal. `credit` is the customer's
    balance in the subscription's currency: each renewal uses what it can before any charge
    (`Renewal.draft.credit_applied`). Prorations that waited join the first renewal, and so do the
    customer's pending one-off `items` (priced in the subscription's currency), after them."""
    if sub.ends(as_of):
        done, ended = subscriptions.cancel(sub, at_period_end=False, reason=subscriptions.PERIOD_END, now=now)
        return done, [], ended
    resumed: list[DomainEvent] = []
    if sub.resumes(as_of):
        assert sub.resumes_at is not None
        sub, resumed = subscriptions.resume(sub, at=sub.resumes_at, now=now)
    current = sub
    renewals: list[Renewal] = []
    for _ in range(max_periods):
        if not current.due(as_of):
            break
        start_at, end_at = current.next_period()
        priced, texts = subscriptions.price_renewal(current), subscriptions.renewal_texts(current)
        if items is not None and not renewals:
            priced = combine(current.currency, [priced, items.priced])
            texts = [*texts, *items.texts]
        draft, created = invoices.draft(
            invoice_id=new_id("in"),
            customer_id=current.customer_id,
            priced=priced,
            now=now,
            subscription=(current.id, start_at, end_at),
            line_texts=texts,
        )
        draft = invoices.use_credit(draft, credit, now)
        credit -= draft.credit_applied
        renewed, then = subscriptions.renew(current, invoice_id=draft.id, total=draft.total, now=now)
        history = BillingHistory(
            id=new_id("sbh"),
            subscription_id=current.id,
            customer_id=current.customer_id,
            period_start=start_at,
            period_end=end_at,
            invoice_id=draft.id,
            status=PENDING,
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        if draft.amount_due == 0:  # nothing to charge (a 100 % coupon, credit): paid at finalization
            history = replace(history, status=PAID)
        elif current.payment_method_token and current.gateway_id:
            then = [*then, charge_request(current, draft, 1)]
            history = replace(history, attempts=1)
        else:
            history = replace(history, status=NO_PAYMENT_METHOD)
            renewed, due = subscriptions.past_due(
                renewed,
                invoice_id=draft.id,
                attempts=0,
                next_attempt_at=None,
                failure="no_payment_method",
                now=now,
            )
            then = [*then, *due]
        renewals.append(Renewal(draft, created, history, then))
        current = renewed
    return current, renewals, resumed
