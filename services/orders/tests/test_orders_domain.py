"""The order rules without I/O: what can be sold, at which price and tax, and an order's states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from billing_shared.errors import Problem
from orders.domain import orders as order_domain
from orders.domain.catalog import Coupon, Currency, Product, TaxRule
from orders.domain.order_pricing import Buyer, Item, price

NOW = datetime(2026, 6, 1, tzinfo=UTC)
USD = Currency("USD", "US Dollar", 2, True)


def product(pid: str = "prod_a", **over: Any) -> Product:
    base: dict[str, Any] = dict(
        id=pid,
        name="A",
        tax_category="standard",
        active=True,
        prices={"USD": 1999},
        billing_cycle_id=None,
        created_at=NOW,
        updated_at=NOW,
    )
    return Product(**(base | over))


def tax(
    rid: str, rate: str, region: str | None = None, category: str | None = None, inclusive: bool = False
) -> TaxRule:
    return TaxRule(
        id=rid,
        name=rid,
        country="US",
        region=region,
        tax_category=category,
        rate=Decimal(rate),
        inclusive=inclusive,
        active=True,
        created_at=NOW,
    )


def coupon(**over: Any) -> Coupon:
    base: dict[str, Any] = dict(
        id="cpn_1",
        code="SAVE",
        percent_off=Decimal("12.5"),
        amount_off=None,
        currency=None,
        redeem_by=None,
        max_redemptions=None,
        times_redeemed=0,
        product_ids=None,
        duration="once",
        duration_in_cycles=None,
        active=True,
        created_at=NOW,
    )
    return Coupon(**(base | over))


def run(items: list[Item], **over: Any) -> Any:
    args: dict[str, Any] = dict(
        items=items,
        currency=USD,
        currency_code="USD",
        products={"prod_a": product(), "prod_b": product("prod_b")},
        buyer=Buyer("cus_1", "US", "CA"),
        tax_rules=[tax("txr_us", "0.05"), tax("txr_ca", "0.0725", region="CA")],
        billing_cycle_id=None,
        billing_cycle=None,
        coupon_code=None,
        coupon=None,
        may_override_price=False,
        now=NOW,
    )
    return price(**(args | over))


def fields_of(exc: pytest.ExceptionInfo[Problem]) -> set[str]:
    assert exc.value.status == 422
    return {e.field for e in exc.value.errors}


def test_catalog_prices_and_the_most_specific_tax_rule() -> None:
    priced = run([Item("prod_a", 3, None)])
    [line] = priced.lines
    assert (line.unit_price, line.subtotal, line.tax_rule_id) == (1999, 5997, "txr_ca")
    assert line.tax == 435  # 5997 × 0.0725 = 434.78… → 435
    assert priced.total == 5997 + 435


def test_a_buyer_without_an_address_pays_no_tax() -> None:
    assert run([Item("prod_a", 1, None)], buyer=Buyer("cus_1", None, None)).tax_total == 0


@pytest.mark.parametrize(
    ("items", "over", "field"),
    [
        ([Item("prod_x", 1, None)], {}, "items[0].productId"),
        ([Item("prod_a", 1, None)], {"products": {"prod_a": product(active=False)}}, "items[0].productId"),
        (
            [Item("prod_a", 1, None)],
            {"products": {"prod_a": product(prices={"EUR": 5})}},
            "items[0].productId",
        ),
        ([Item("prod_a", 1, 1000)], {}, "items[0].unitPrice"),
        ([Item("prod_a", 1, None)], {"currency": None, "currency_code": "XYZ"}, "currency"),
        ([Item("prod_a", 1, None)], {"currency": Currency("USD", "US Dollar", 2, False)}, "currency"),
        (
            [Item("prod_a", 1, None)],
            {"products": {"prod_a": product(billing_cycle_id="bc_monthly")}},
            "billingCycleId",
        ),
        ([Item("prod_a", 1, None)], {"billing_cycle_id": "bc_nope"}, "billingCycleId"),
        ([], {}, "items"),
    ],
)
def test_what_cannot_be_sold_is_refused_naming_the_field(
    items: list[Item], over: dict[str, Any], field: str
) -> None:
    with pytest.raises(Problem) as exc:
        run(items, **over)
    assert field in fields_of(exc)


def test_a_different_price_needs_the_override_scope() -> None:
    assert run([Item("prod_a", 1, 1000)], may_override_price=True).lines[0].unit_price == 1000
    assert run([Item("prod_a", 1, 1999)]).lines[0].unit_price == 1999  # naming the catalog price is fine


@pytest.mark.parametrize(
    "bad",
    [
        coupon(active=False),
        coupon(redeem_by=NOW - timedelta(days=1)),
        coupon(max_redemptions=5, times_redeemed=5),
        coupon(percent_off=None, amount_off=500, currency="EUR"),
        coupon(product_ids=["prod_other"]),
    ],
)
def test_unusable_coupons_are_refused(bad: Coupon) -> None:
    with pytest.raises(Problem) as exc:
        run([Item("prod_a", 1, None)], coupon_code="SAVE", coupon=bad)
    assert fields_of(exc) == {"couponCode"}


def test_unknown_coupon_code() -> None:
    with pytest.raises(Problem) as exc:
        run([Item("prod_a", 1, None)], coupon_code="NOPE", coupon=None)
    assert fields_of(exc) == {"couponCode"}


def test_a_product_restricted_coupon_discounts_only_its_products() -> None:
    priced = run(
        [Item("prod_a", 1, None), Item("prod_b", 1, None)],
        coupon_code="SAVE",
        coupon=coupon(product_ids=["prod_b"], percent_off=Decimal("50")),
    )
    assert [line.discount for line in priced.lines] == [0, 1000]  # 1999 × 50 % = 999.5 → 1000


def test_all_errors_are_reported_at_once() -> None:
    with pytest.raises(Problem) as exc:
        run([Item("prod_x", 1, None), Item("prod_a", 1, 5)])
    assert fields_of(exc) == {"items[0].productId", "items[1].unitPrice"}


def test_zero_total_order_is_paid_at_once() -> None:
    priced = run(
        [Item("prod_a", 1, None)],
        coupon_code="FREE",
        coupon=coupon(percent_off=Decimal("100")),
        buyer=Buyer("cus_1", None, None),
    )
    order, events = order_domain.create(
        order_id="ord_1",
        customer_id="cus_1",
        priced=priced,
        now=NOW,
        billing_cycle=None,
        coupon=coupon(percent_off=Decimal("100")),
        metadata={},
    )
    assert order.status == order_domain.PAID and [e.name for e in events] == ["OrderCreated", "OrderPaid"]
    assert events[1].data["paymentIntentId"] is None and events[1].data["amountPaid"] == 0


def test_order_state_machine() -> None:
    order, events = order_domain.create(
        order_id="ord_1",
        customer_id="cus_1",
        priced=run([Item("prod_a", 2, None)]),
        now=NOW,
        billing_cycle=None,
        coupon=None,
        metadata={},
    )
    assert order.status == "draft" and order.allowed_actions == ["pay", "cancel"]
    assert "trace" not in events[0].data and events[0].data["total"] == order.total
    paid, paid_events = order_domain.mark_paid(order, payment_intent_id="pi_1", amount=order.total, now=NOW)
    assert paid.status == "paid" and paid.payment_intent_ids == ["pi_1"] and len(paid_events) == 1
    assert order_domain.mark_paid(paid, payment_intent_id="pi_1", amount=order.total, now=NOW) == (paid, [])
    with pytest.raises(Problem) as exc:
        order_domain.cancel(paid, NOW)
    assert exc.value.status == 409
    part = order_domain.record_refund(paid, 100, NOW)
    assert part.status == "partially_refunded" and part.amount_refunded == 100
    assert order_domain.record_refund(part, 100, NOW) is part  # the same total again: a repeat
    assert order_domain.record_refund(part, 50, NOW) is part  # an older, smaller total
    more = order_domain.record_refund(part, 300, NOW)  # totals, not amounts: 300 refunded in all
    assert more.status == "partially_refunded" and more.amount_refunded == 300
    full = order_domain.record_refund(more, order.total, NOW)
    assert full.status == "refunded" and full.amount_refunded == order.total and full.allowed_actions == []
    cancelled, c_events = order_domain.cancel(order, NOW)
    assert cancelled.status == "cancelled" and [e.name for e in c_events] == ["OrderCancelled"]
    assert order_domain.cancel(cancelled, NOW) == (cancelled, [])


def test_an_order_beyond_what_can_be_stored_is_refused() -> None:
    huge = {"prod_a": product(prices={"USD": 10**15})}
    with pytest.raises(Problem) as exc:
        run([Item("prod_a", 10**6, None)], products=huge)
    assert fields_of(exc) == {"items"}
    assert (
        run([Item("prod_a", 9_000, None)], products=huge, buyer=Buyer("cus_1", None, None)).total
        == 9 * 10**18
    )
