"""/InvoiceItems through the API: a one-off charge by amount or unitPrice x quantity, replayed by
its Idempotency-Key, listed and read; bad input refused naming the field with nothing stored; an
unknown customer refused; withdrawn while pending only; the merchant's only."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from invoice_items_testing import CATEGORY, add_item, customer, items_of, manual_invoice
from invoicing_testing import new_id

from billing_shared.ids import new_id as platform_id


def post(client: FlaskClient, admin: dict[str, str], body: dict[str, Any], key: str | None = None) -> Any:
    headers = admin | {"Idempotency-Key": key or str(uuid.uuid4())}
    return client.post("/api/v1/InvoiceItems", json=body, headers=headers)


def test_an_item_by_amount_or_unit_price_is_pending_and_replayed_by_its_key(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    cid = customer(app)
    body = {"customerId": cid, "description": "Einrichtungsgebühr", "amount": 5000, "currency": "USD"}
    r = post(client, admin, body | {"taxCategory": CATEGORY}, key="setup-fee")
    assert r.status_code == 201, r.json
    fee = r.json
    assert fee["id"].startswith("ii_") and r.headers["Location"] == f"/api/v1/InvoiceItems/{fee['id']}"
    assert {k: fee[k] for k in ("quantity", "unitPrice", "amount", "status", "invoiceId", "taxCategory")} == {
        "quantity": 1,
        "unitPrice": 5000,
        "amount": 5000,
        "status": "pending",
        "invoiceId": None,
        "taxCategory": CATEGORY,
    }
    again = post(client, admin, body | {"taxCategory": CATEGORY}, key="setup-fee")
    assert (again.status_code, again.json, again.headers["Idempotent-Replayed"]) == (201, fee, "true")

    seats = add_item(client, admin, cid, description="Seats", unitPrice=999, quantity=3, currency="EUR")
    assert (seats["quantity"], seats["unitPrice"], seats["amount"], seats["currency"]) == (
        3,
        999,
        2997,
        "EUR",
    )
    one = add_item(client, admin, cid, description="Extra", unitPrice=250, taxCategory=None)
    assert (one["quantity"], one["amount"], one["taxCategory"]) == (1, 250, None)

    got = client.get(f"/api/v1/InvoiceItems/{fee['id']}", headers=admin)
    assert got.status_code == 200 and got.json == fee and got.headers["ETag"]
    assert [i["id"] for i in items_of(client, admin, cid)] == [fee["id"], seats["id"], one["id"]]
    assert items_of(client, admin, customer(app)) == []
    assert [i["id"] for i in items_of(client, admin, cid, "pending")] == [fee["id"], seats["id"], one["id"]]
    assert items_of(client, admin, cid, "invoiced") == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"unitPrice": 5000}, "unitPrice"),  # with amount: one or the other
        ({"quantity": 2}, "quantity"),  # with amount
        ({"amount": None}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": -100}, "amount"),
        ({"amount": 12.5}, "amount"),
        ({"amount": "5000"}, "amount"),
        ({"amount": 10**15 + 1}, "amount"),
        ({"currency": "usd"}, "currency"),
        ({"currency": "XAU"}, "currency"),
        ({"currency": "ZZZ"}, "currency"),
        ({"description": ""}, "description"),
        ({"description": "   "}, "description"),
        ({"description": "x" * 501}, "description"),
        ({"taxCategory": "not a category"}, "taxCategory"),
        ({"customerId": ""}, "customerId"),
        ({"invoiceId": "in_1"}, "invoiceId"),  # unknown field
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_stores_nothing(
    app: Flask, client: FlaskClient, admin: dict[str, str], change: dict[str, Any], field: str
) -> None:
    cid = customer(app)
    body = {"customerId": cid, "description": "Fee", "amount": 5000, "currency": "USD"} | change
    body = {k: v for k, v in body.items() if v is not None}
    r = post(client, admin, body)
    assert r.status_code == 422, r.json
    assert r.headers["Content-Type"] == "application/problem+json"
    assert field in {e["field"] for e in r.json["errors"]}, r.json
    assert items_of(client, admin, cid) == []


def test_unit_price_needs_no_amount_and_their_product_is_bounded(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    cid = customer(app)
    base = {"customerId": cid, "description": "Fee", "currency": "USD"}
    neither = post(client, admin, base)
    assert neither.status_code == 422 and {"amount", "unitPrice"} <= {
        e["field"] for e in neither.json["errors"]
    }
    too_much = post(client, admin, base | {"unitPrice": 10**15, "quantity": 2})
    assert too_much.status_code == 422 and [e["field"] for e in too_much.json["errors"]] == ["quantity"]
    assert items_of(client, admin, cid) == []


def test_an_unknown_customer_is_a_422_and_one_made_a_moment_ago_a_503(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    body = {"description": "Fee", "amount": 5000, "currency": "USD"}
    old = post(client, admin, body | {"customerId": new_id("cus")})
    assert old.status_code == 422 and [e["field"] for e in old.json["errors"]] == ["customerId"]
    recent = post(client, admin, body | {"customerId": platform_id("cus")})
    assert recent.status_code == 503 and recent.headers["Retry-After"]


def test_a_pending_item_is_deleted_and_an_invoiced_one_is_not(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    cid = customer(app)
    gone, kept = add_item(client, admin, cid, description="Gone"), add_item(client, admin, cid)
    r = client.delete(f"/api/v1/InvoiceItems/{gone['id']}", headers=admin)
    assert (r.status_code, r.json["status"], r.json["version"]) == (200, "deleted", 2)
    again = client.delete(f"/api/v1/InvoiceItems/{gone['id']}", headers=admin)
    assert (again.status_code, again.json) == (200, r.json)
    stale = client.delete(f"/api/v1/InvoiceItems/{kept['id']}", headers=admin | {"If-Match": '"7"'})
    assert stale.status_code == 412

    inv = manual_invoice(client, admin, cid)
    assert inv.status_code == 201 and [line["name"] for line in inv.json["lines"]] == ["Einrichtungsgebühr"]
    refused = client.delete(f"/api/v1/InvoiceItems/{kept['id']}", headers=admin)
    assert refused.status_code == 409 and refused.json["invoiceId"] == inv.json["id"]
    assert [(i["id"], i["status"]) for i in items_of(client, admin, cid)] == [
        (gone["id"], "deleted"),
        (kept["id"], "invoiced"),
    ]
    assert client.get(f"/api/v1/InvoiceItems/{kept['id']}", headers=admin).json["invoiceId"] == inv.json["id"]
    assert client.delete(f"/api/v1/InvoiceItems/ii_{'0' * 26}", headers=admin).status_code == 404


def test_items_are_the_merchants_only(
    app: Flask, client: FlaskClient, admin: dict[str, str], bearer: Callable[..., dict[str, str]]
) -> None:
    cid = customer(app)
    item = add_item(client, admin, cid)
    own = bearer("invoices:read", "invoices:write", customer_id=cid)
    body = {"customerId": cid, "description": "Fee", "amount": 1, "currency": "USD"}
    for r in (
        client.get("/api/v1/InvoiceItems", headers=own),
        client.get(f"/api/v1/InvoiceItems?customerId={cid}", headers=own),
        client.get(f"/api/v1/InvoiceItems/{item['id']}", headers=own),
        client.delete(f"/api/v1/InvoiceItems/{item['id']}", headers=own),
        post(client, own, body),
        manual_invoice(client, own, cid),
    ):
        assert r.status_code == 403, r.json
    reader = bearer("invoices:read")
    assert post(client, reader, body).status_code == 403  # no invoices:write
    assert [(i["id"], i["status"]) for i in items_of(client, admin, cid)] == [(item["id"], "pending")]
