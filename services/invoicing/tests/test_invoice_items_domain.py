"""One-off items without I/O: deleting only while pending, which pending items a manual invoice
takes, their pricing by the platform's rule (with the trace), and a renewal that picks them up."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from billing_shared.errors import Problem
from billing_shared.pricing import TaxRate
from invoicing.domain import invoice_items
from invoicing.domain.invoice_items import DELETED, INVOICED, PENDING, InvoiceItem
from invoicing.domain.renewals import plan
from invoicing.domain.subscriptions import ACTIVE, Subscription

NOW = datetime(2026, 12, 1, tzinfo=UTC)
VAT_DE = TaxRate("txr_de", "MwSt", Decimal("0.19"), False)


def item(
    n: int, *, currency: str = "USD", quantity: int = 1, unit_price: int = 5000, **kw: str
) -> InvoiceItem:
    return invoice_items.create(
        item_id=f"ii_{n:026d}",
        customer_id="cus_1",
        description=kw.get("description", f"item {n}"),
        currency=currency,
        quantity=quantity,
        unit_price=unit_price,
        tax_category=kw.get("tax_category", "services"),
        now=NOW,
    )


def by_category(category: str | None) -> TaxRate | None:
    return VAT_DE if category == "services" else None


def test_a_new_item_is_pending_and_its_amount_is_quantity_times_unit_price() -> None:
    made = item(1, quantity=3, unit_price=1999)
    assert (made.status, made.amount, made.invoice_id, made.version) == (PENDING, 5997, None, 1)
    assert made.to_json()["amount"] == 5997


def test_only_a_pending_item_is_deleted() -> None:
    gone = invoice_items.delete(item(1), NOW)
    assert (gone.status, gone.version) == (DELETED, 2)
    assert invoice_items.delete(gone, NOW) is gone  # again: nothing changes
    taken = InvoiceItem(**{**item(2).__dict__, "status": INVOICED, "invoice_id": "in_1"})
    with pytest.raises(Problem) as refused:
        invoice_items.delete(taken, NOW)
    assert refused.value.status == 409 and refused.value.extra["invoiceId"] == "in_1"


def test_a_manual_invoice_takes_the_pending_items_of_one_currency() -> None:
    usd, eur = [item(1), item(2)], [item(3, currency="EUR")]
    assert invoice_items.choose(usd, None) == usd
    assert invoice_items.choose([*usd, *eur], "EUR") == eur
    with pytest.raises(Problem) as several:
        invoice_items.choose([*usd, *eur], None)
    assert several.value.status == 422 and [e.field for e in several.value.errors] == ["currency"]
    with pytest.raises(Problem) as none:
        invoice_items.choose([], None)
    assert none.value.status == 422 and [e.field for e in none.value.errors] == ["customerId"]
    with pytest.raises(Problem) as none_in:
        invoice_items.choose(usd, "JPY")
    assert none_in.value.status == 422 and [e.field for e in none_in.value.errors] == ["currency"]


def test_items_are_priced_by_the_pricing_rule_with_their_trace() -> None:
    fee = item(1, description="Einrichtungsgebühr")
    seats = item(2, quantity=3, unit_price=999, tax_category="exempt")
    part = invoice_items.price([fee, seats], by_category)
    lines = part.priced.lines
    assert [(x.product_id, x.subtotal, x.tax, x.total) for x in lines] == [
        (fee.id, 5000, 950, 5950),
        (seats.id, 2997, 0, 2997),
    ]
    assert part.priced.total == 5950 + 2997
    assert part.texts == [
        {"name": "Einrichtungsgebühr", "description": None},
        {"name": "item 2", "description": None},
    ]
    assert part.item_ids == [fee.id, seats.id]
    assert "line.tax[0] 950 -> 950 (half-up)" in part.priced.explain()


def subscription() -> Subscription:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    return Subscription(
        id="sub_1",
        order_id="ord_1",
        customer_id="cus_1",
        currency="USD",
        items=[{"productId": "prod_plan", "quantity": 1, "unitPrice": 1000, "name": "Plan"}],
        coupon=None,
        coupon_cycles_remaining=None,
        billing_cycle_id="bc_monthly",
        interval_unit="month",
        interval_count=1,
        status=ACTIVE,
        current_period_start=start,
        current_period_end=datetime(2026, 11, 1, tzinfo=UTC),
        cancel_at_period_end=False,
        created_at=start,
        updated_at=start,
    )


def test_the_first_renewal_picks_the_items_up_after_its_own_lines() -> None:
    part = invoice_items.price([item(1, description="Einrichtungsgebühr")], by_category)
    as_of = datetime(2026, 12, 15, tzinfo=UTC)  # two periods begun: only the first takes the items
    _, renewals, _ = plan(subscription(), as_of, NOW, items=part)
    first, second = (r.draft for r in renewals)
    assert [line.product_id for line in first.priced.lines] == ["prod_plan", "ii_" + "1".zfill(26)]
    assert first.total == 1000 + 5950
    assert [t["name"] for t in first.texts()] == ["Plan", "Einrichtungsgebühr"]
    assert [line.product_id for line in second.priced.lines] == ["prod_plan"]
    assert [s.line for s in first.priced.trace if s.step == "line.tax"] == [0, 1]
