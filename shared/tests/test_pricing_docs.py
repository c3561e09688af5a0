"""docs/money.md's worked examples, run as tests: the page shows what the code computes, to the cent.

Every ```json block in the page that has "input" and "expected" is priced; its line amounts, order
sums and rendered trace must match exactly.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from billing_shared.pricing import CouponInput, LineInput, TaxRate, price_order

DOC = Path(__file__).resolve().parents[2] / "docs" / "money.md"
BLOCK = re.compile(r"^### (.+?)$|^```json\n(.*?)^```$", re.S | re.M)


def examples() -> list[Any]:
    """The page's examples as pytest params, each named by the heading above it."""
    found = []
    heading = "(no heading)"
    for title, block in BLOCK.findall(DOC.read_text(encoding="utf-8")):
        if title:
            heading = title
            continue
        data = json.loads(block)
        if "input" in data and "expected" in data:
            found.append(pytest.param(data, id=heading))
    return found


def test_the_page_has_its_worked_examples() -> None:
    assert len(examples()) >= 6


def _tax(data: dict[str, Any] | None) -> TaxRate | None:
    if data is None:
        return None
    return TaxRate(data["ruleId"], data["name"], Decimal(data["rate"]), data["inclusive"])


def _coupon(data: dict[str, Any] | None) -> CouponInput | None:
    if data is None:
        return None
    percent = data.get("percentOff")
    return CouponInput(data["code"], Decimal(percent) if percent is not None else None, data.get("amountOff"))


@pytest.mark.parametrize(
    "example", examples(), ids=lambda e: f"{e['input']['currency']}-{len(e['input']['lines'])}"
)
def test_worked_example(example: dict[str, Any]) -> None:
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
    order = price_order(given["currency"], lines, _coupon(given["coupon"]))
    priced = order.to_dict()
    keys = ("subtotal", "discount", "tax", "total")
    assert [{k: line[k] for k in keys} for line in priced["lines"]] == expected["lines"]
    totals = ("subtotal", "discountTotal", "taxTotal", "total")
    assert {k: priced[k] for k in totals} == {k: expected[k] for k in totals}
    assert order.explain().splitlines() == expected["trace"]
