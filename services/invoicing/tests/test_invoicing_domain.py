"""The invoice state machine, without I/O: transitions, allowed actions, events, numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from invoicing_testing import new_id, priced

from billing_shared.errors import Problem
from invoicing.domain import invoices

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _draft() -> invoices.Invoice:
    inv, events = invoices.draft(
        invoice_id=new_id("in"), order_id=new_id("ord"), customer_id="cus_1", priced=priced(), now=NOW
    )
    assert [e.name for e in events] == ["InvoiceCreated"]
    return inv


def test_a_draft_copies_the_priced_order_and_allows_finalize_or_void() -> None:
    order = priced()
    inv, events = invoices.draft(
        invoice_id="in_1", order_id="ord_1", customer_id="cus_1", priced=order, now=NOW
    )
    assert inv.priced == order and inv.total == order.total and inv.currency == "USD"
    assert inv.status == invoices.DRAFT and inv.allowed_actions == ["finalize", "void"]
    assert events[0].data == {
        "id": "in_1",
        "orderId": "ord_1",
        "customerId": "cus_1",
        "currency": "USD",
        "total": order.total,
        "status": "draft",
        "createdAt": NOW.isoformat(),
        "subscriptionId": None,
        "billingReason": "order",
        "periodStart": None,
        "periodEnd": None,
        "creditApplied": 0,
        "amountDue": order.total,
    }
    assert events[0].version == 4


def test_finalize_then_pay() -> None:
    inv = _draft()
    opened, events = invoices.finalize(inv, number="INV-2026-000001", settings_revision=0, now=NOW)
    assert opened.status == invoices.OPEN and opened.number == "INV-2026-000001"
    assert opened.allowed_actions == ["pay", "void", "mark-uncollectible", "send"]
    assert events[0].name == "InvoiceFinalized" and events[0].data["number"] == "INV-2026-000001"
    paid, events = invoices.pay(opened, payment_intent_id="pi_1", amount=inv.total, now=NOW)
    assert paid.status == invoices.PAID and paid.allowed_actions == ["send"] and paid.amount_paid == inv.total
    assert events[0].name == "InvoicePaid" and events[0].data["paymentIntentId"] == "pi_1"
    again, events = invoices.pay(paid, payment_intent_id="pi_1", amount=inv.total, now=NOW)
    assert again is paid and events == []


@pytest.mark.parametrize(
    ("status", "change"),
    [
        (
            invoices.OPEN,
            lambda i: invoices.finalize(i, number="INV-2026-000002", settings_revision=0, now=NOW),
        ),
        (invoices.PAID, lambda i: invoices.void(i, NOW)),
        (invoices.VOID, lambda i: invoices.mark_uncollectible(i, NOW)),
        (invoices.DRAFT, lambda i: invoices.mark_uncollectible(i, NOW)),
        (invoices.DRAFT, lambda i: invoices.pay(i, payment_intent_id=None, amount=0, now=NOW)),
        (invoices.UNCOLLECTIBLE, lambda i: invoices.void(i, NOW)),
    ],
)
def test_bad_transitions_are_409_naming_the_status(status: str, change: object) -> None:
    from dataclasses import replace

    inv = replace(_draft(), status=status)
    with pytest.raises(Problem) as err:
        change(inv)  # type: ignore[operator]
    assert err.value.status == 409 and status in err.value.detail


def test_void_and_mark_uncollectible() -> None:
    voided, events = invoices.void(_draft(), NOW)
    assert voided.status == invoices.VOID and events[0].name == "InvoiceVoided"
    opened, _ = invoices.finalize(_draft(), number="INV-2026-000003", settings_revision=0, now=NOW)
    lost, events = invoices.mark_uncollectible(opened, NOW)
    assert lost.status == invoices.UNCOLLECTIBLE and events[0].name == "InvoiceMarkedUncollectible"


def test_numbers_are_series_year_and_six_digits() -> None:
    assert invoices.format_number("INV", 2026, 1) == "INV-2026-000001"
    assert invoices.format_number("INV", 2026, 1234567) == "INV-2026-1234567"


def test_periods_count_from_the_anchor_and_never_drift() -> None:
    from invoicing.domain.periods import boundary

    anchor = datetime(2027, 1, 31, 9, 30, tzinfo=UTC)
    months = [boundary(anchor, "month", 1, k).date().isoformat() for k in range(4)]
    assert months == ["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"]
    leap = datetime(2028, 2, 29, tzinfo=UTC)
    assert [boundary(leap, "year", 1, k).date().isoformat() for k in range(2)] == ["2028-02-29", "2029-02-28"]
    assert boundary(anchor, "week", 2, 1) - anchor == timedelta(weeks=2)
