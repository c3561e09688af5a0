"""docs/money.md's worked examples, through invoicing: the draft made from each example's
OrderCreated has the order's lines and totals to the cent (and the page's expected figures)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from invoicing_testing import deliver, event, order_created

from billing_shared.pricing import CouponInput, LineInput, TaxRate, price_order

DOC = Path(__file__).resolve().parents[3] / "docs" / "money.md"
BIGINT_MAX = 2**63 - 1
BLOCK = re.compile(r"^### (.+?)$|^```json\n(.*?)^```$", re.S | re.M)


def examples() -> list[Any]:
    found, heading = [], "(no heading)"
    for title, block in BLOCK.findall(DOC.read_text(encoding="utf-8")):
        if title:
            heading = title
            continue
        data = json.loads(block)
        if "input" in data and "expected" in data:
            found.append(pytest.param(data, id=heading))
    return found


def _tax(data: dict[str, Any] | None) -> TaxRate | None:
    return (
        None
        if data is None
        else TaxRate(data["ruleId"], data["name"], Decimal(data["rate"]), data["inclusive"])
    )


def _coupon(data: dict[str, Any] | None) -> CouponInput | None:
    if data is None:
        return None
    percent = data.get("percentOff")
    return CouponInput(data["code"], Decimal(percent) if percent is not None else None, data.get("amountOff"))


def test_the_page_has_examples() -> None:
    assert len(examples()) >= 6


def storable() -> list[Any]:
    """The examples an order could carry: orders refuses amounts beyond a 64-bit integer."""
    return [e for e in examples() if e.values[0]["expected"]["subtotal"] <= BIGINT_MAX]


def test_most_examples_are_storable() -> None:
    assert len(storable()) >= len(examples()) - 1


@pytest.mark.parametrize("example", storable())
def test_the_draft_has_the_orders_figures(
    example: dict[str, Any], app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    given, expected = example["input"], example["expected"]
    lines = [
        LineInput(
            line["productId"],
            line["quantity"],
            line["unitPrice"],
            _tax(line["tax"]),
            line.get("discountable", True),
        )
        for line in given["lines"]
    ]
    order = order_created(order=price_order(given["currency"], lines, _coupon(given["coupon"])))
    deliver(app, event("OrderCreated", order))
    r = client.get(f"/api/v1/Invoices?orderId={order['id']}", headers=admin)
    inv = r.json["data"][0]
    figures = [{k: v for k, v in line.items() if k not in ("name", "description")} for line in inv["lines"]]
    assert figures == order["lines"] and inv["currency"] == given["currency"]
    totals = ("subtotal", "discountTotal", "taxTotal", "total")
    assert {k: inv[k] for k in totals} == {k: order[k] for k in totals} == {k: expected[k] for k in totals}
    keys = ("subtotal", "discount", "tax", "total")
    assert [{k: line[k] for k in keys} for line in inv["lines"]] == expected["lines"]
