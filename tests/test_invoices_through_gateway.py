"""Invoices end to end through the gateway: a customer, an order, a tok_visa intent, and the
order's invoice drafted from OrderCreated, then finalized with a number and paid; the order and
the customer record the invoice."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from helpers import Client
from test_payments_through_gateway import eventually, pay, unpaid_order

pytestmark = [pytest.mark.integration, pytest.mark.stack]


def invoice_of(api: Client, order_id: str) -> dict[str, Any] | None:
    r = api.call("GET", f"/Invoices?orderId={order_id}")
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    return dict(data[0]) if data else None


def test_an_order_paid_with_tok_visa_has_its_invoice_paid_with_a_number(api: Client) -> None:
    order = unpaid_order(api)
    # the draft comes from OrderCreated; POST /Invoices then answers it (200), never a second one.
    # A long wait: on a kept test broker the invoicing worker may first catch up billing.orders'
    # history (a fresh consumer group starts at the earliest offset); on a fresh broker it is instant.
    eventually(lambda: invoice_of(api, order["id"]), timeout=180, what="the draft invoice")
    created = api.call(
        "POST", "/Invoices", {"orderId": order["id"]}, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert created.status_code == 200, created.text
    draft = created.json()
    assert draft["status"] == "draft" and draft["number"] is None and draft["total"] == order["total"]
    assert draft["lines"] == order["lines"] and draft["customerId"] == order["customerId"]
    r = pay(api, order)
    assert r.status_code == 201 and r.json()["status"] == "succeeded", r.text
    paid = eventually(
        lambda: (inv := invoice_of(api, order["id"])) and inv["status"] == "paid" and inv,
        what="the invoice paid",
    )
    assert paid["id"] == draft["id"] and re.fullmatch(r"INV-\d{4}-\d{6,}", paid["number"])
    assert paid["paymentIntentId"] == r.json()["id"] and paid["amountPaid"] == order["total"]
    assert paid["allowedActions"] == ["send"]
    assert api.call("POST", f"/Invoices/{paid['id']}/void").status_code == 409
    eventually(
        lambda: api.call("GET", f"/Orders/{order['id']}").json()["invoiceId"] == paid["id"],
        what="the order records its invoice",
    )
    eventually(
        lambda: (
            api.call("GET", f"/Customers/{order['customerId']}").json()["references"]["invoices"]
            == [paid["id"]]
        ),
        what="the customer records its invoice",
    )
