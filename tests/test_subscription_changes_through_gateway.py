"""The proration rule's worked examples through the gateway, with every service running: an
upgrade, a downgrade into credit, a quantity change, a change in a JPY and a KWD subscription, and a
change under a percent coupon with inclusive tax. Each is previewed and applied with the same
`prorationDate`; the invoice's total must be the written rule's, computed here independently on
fractions (docs/money.md, "Proration"), to the minor unit."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from helpers import Client
from test_payments_through_gateway import eventually, pay
from test_subscriptions_through_gateway import subscription_of

pytestmark = [pytest.mark.integration, pytest.mark.stack]


def half_up(x: Fraction) -> int:
    return (-1 if x < 0 else 1) * math.floor(abs(x) + Fraction(1, 2))


def by_the_rule(
    old: list[tuple[int, int]],
    new: list[tuple[int, int]],
    f: Fraction,
    rate: str,
    inclusive: bool,
    percent: str | None,
) -> int:
    """Signed lines, a percent coupon per line with its sign, then tax per line, half-up each."""
    r, p = Fraction(Decimal(rate)), Fraction(Decimal(percent)) if percent else Fraction(0)
    total = 0
    for sign, items in ((-1, old), (1, new)):
        for price, qty in items:
            magnitude = half_up(price * qty * f)
            base = sign * (magnitude - half_up(magnitude * p / 100))
            total += base if inclusive else base + half_up(base * r)
    return total


@dataclass
class Example:
    name: str
    currency: str
    old: list[tuple[int, int]]  # (unit price, quantity) of the plan held
    new: list[tuple[int, int]]  # of the plan after the change (the same product when one entry)
    share: Fraction  # how far into the period the change comes
    rate: str = "0.1"
    inclusive: bool = False
    percent: str | None = None
    same_product: bool = False


EXAMPLES = [
    Example("upgrade", "USD", [(1000, 1)], [(3000, 2)], Fraction(1, 4)),
    Example("downgrade into credit", "USD", [(3000, 2)], [(1000, 1)], Fraction(1, 2)),
    Example("quantity change", "EUR", [(999, 3)], [(999, 5)], Fraction(2, 3), rate="0.19", same_product=True),
    Example("yen", "JPY", [(9800, 1)], [(14800, 1)], Fraction(7, 31), rate="0.1"),
    Example("dinar", "KWD", [(12500, 2)], [(12500, 3)], Fraction(1, 3), rate="0.05", same_product=True),
    Example(
        "percent coupon, inclusive tax", "USD", [(4500, 1)], [(1500, 1)], Fraction(10, 31), "0.2", True, "10"
    ),
]


def _plan(api: Client, currency: str, price: int, category: str) -> str:
    r = api.call(
        "POST",
        "/Products",
        {
            "name": f"plan {price}",
            "taxCategory": category,
            "billingCycleId": "bc_monthly",
            "prices": [{"currency": currency, "unitPrice": price}],
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@pytest.mark.parametrize("ex", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_a_change_invoices_the_written_rules_amount_to_the_minor_unit(api: Client, ex: Example) -> None:
    assert api.call("PATCH", f"/Currencies/{ex.currency}", {"enabled": True}).status_code == 200
    category = f"plan-{uuid.uuid4().hex[:10]}"
    rule = {
        "name": ex.name,
        "country": "DE",
        "taxCategory": category,
        "rate": ex.rate,
        "inclusive": ex.inclusive,
    }
    assert api.call("POST", "/TaxRules", rule).status_code in (200, 201)
    (old_price, old_qty), (new_price, new_qty) = ex.old[0], ex.new[0]
    held = _plan(api, ex.currency, old_price, category)
    target = held if ex.same_product else _plan(api, ex.currency, new_price, category)
    customer = api.call(
        "POST",
        "/Customers",
        {
            "name": "Changer",
            "email": f"c.{uuid.uuid4().hex[:8]}@example.com",
            "billingAddress": {"country": "DE"},
        },
    ).json()
    body: dict[str, Any] = {
        "customerId": customer["id"],
        "currency": ex.currency,
        "billingCycleId": "bc_monthly",
        "items": [{"productId": held, "quantity": old_qty}],
    }
    if ex.percent:
        code = f"P{uuid.uuid4().hex[:8].upper()}"
        coupon = {"code": code, "percentOff": ex.percent, "duration": "forever"}
        assert api.call("POST", "/Coupons", coupon).status_code == 201
        body["couponCode"] = code
    order = api.call("POST", "/Orders", body, headers={"Idempotency-Key": str(uuid.uuid4())}).json()
    assert pay(api, order).status_code == 201
    sub = subscription_of(api, order)
    s, e = (datetime.fromisoformat(sub[k]) for k in ("currentPeriodStart", "currentPeriodEnd"))
    micros = (e - s) // timedelta(microseconds=1)
    at = s + timedelta(microseconds=int(micros * ex.share))
    f = Fraction((e - at) // timedelta(microseconds=1), micros)
    want = by_the_rule(ex.old, ex.new, f, ex.rate, ex.inclusive, ex.percent)

    change = {"items": [{"productId": target, "quantity": new_qty}], "prorationDate": at.isoformat()}
    preview = api.call("POST", f"/Subscriptions/{sub['id']}/preview-change", change)
    assert preview.status_code == 200 and preview.json()["total"] == want, (preview.text, want)
    applied = api.call("PATCH", f"/Subscriptions/{sub['id']}", change)
    assert applied.status_code == 200, applied.text

    def the_invoice() -> dict[str, Any] | None:
        data = api.call("GET", f"/Invoices?subscriptionId={sub['id']}").json()["data"]
        return next((i for i in data if i["billingReason"] == "subscription_update"), None)

    invoice = eventually(the_invoice, timeout=10, what="the change's invoice")
    # the stack is shared: other tests' billing runs must not find this subscription due
    ended = api.call("POST", f"/Subscriptions/{sub['id']}/cancel", {"atPeriodEnd": False, "prorate": False})
    assert ended.status_code == 200, ended.text
    assert invoice["total"] == want and invoice["currency"] == ex.currency
    if want < 0:  # a credit: paid at once, never charged, and shown on the customer
        assert (invoice["status"], invoice["amountDue"]) == ("paid", 0)
        shown = eventually(
            lambda: (
                api.call("GET", f"/Customers/{customer['id']}").json()["creditBalance"].get(ex.currency)
                == -want
            ),
            timeout=20,
            what="the customer's credit",
        )
        assert shown
    else:
        paid = eventually(
            lambda: api.call("GET", f"/Invoices/{invoice['id']}").json()["status"] == "paid",
            timeout=30,
            what="the change's invoice charged off-session",
        )
        assert paid
