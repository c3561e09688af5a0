"""Manual invoices through the API: `POST /Invoices {customerId, includePendingItems: true}` makes a
draft of the customer's pending one-off items, priced by the pricing rule with invoicing's projection
of the tax rules (5000 + 19 % = 5950), numbered in the order invoices' gapless series when
finalized, then paid and sent like any invoice. No item is ever on two invoices, even when two
requests (or a request and a billing run) race for them."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from invoice_items_testing import CATEGORY, add_item, customer, items_of, manual_invoice, tax_rule
from invoicing_testing import deliver, event, order_created
from sqlalchemy import select

from billing_shared.web.context import deps_of
from invoicing.store.invoice_items import InvoiceItemRepository
from invoicing.store.invoices import InvoiceRepository


def outbox(app: Flask, name: str) -> list[tuple[str, dict[str, Any]]]:
    """(type, data) of the outbox's events of that name, oldest first."""
    db = deps_of(app).db
    table = db.kit_tables.outbox
    with db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            select(table.c.type, table.c.data)
            .where(table.c.type.like(f"billing.{name}.v%"))
            .order_by(table.c.id)
        ).all()
    return [(r.type, r.data if isinstance(r.data, dict) else json.loads(r.data)) for r in rows]


def test_a_one_off_item_makes_a_manual_invoice_taxed_by_the_buyers_rule(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    cid = customer(app, "DE")
    rule = tax_rule(app, "DE", "0.19", CATEGORY)
    item = add_item(client, admin, cid, description="Einrichtungsgebühr", amount=5000, currency="USD")
    r = manual_invoice(client, admin, cid)
    assert r.status_code == 201, r.json
    inv = r.json
    assert r.headers["Location"] == f"/api/v1/Invoices/{inv['id']}"
    assert (inv["orderId"], inv["subscriptionId"], inv["billingReason"], inv["status"]) == (
        None,
        None,
        "manual",
        "draft",
    )
    assert "Einrichtungsgebühr" in json.dumps(inv, ensure_ascii=False)
    assert (inv["subtotal"], inv["taxTotal"], inv["total"], inv["currency"]) == (5000, 950, 5950, "USD")
    [line] = inv["lines"]
    assert (line["productId"], line["name"], line["taxRuleId"], line["taxRate"]) == (
        item["id"],
        "Einrichtungsgebühr",
        rule,
        "0.19",
    )
    taken = client.get(f"/api/v1/InvoiceItems/{item['id']}", headers=admin).json
    assert (taken["status"], taken["invoiceId"]) == ("invoiced", inv["id"])
    with deps_of(app).db.unit_of_work(write=False) as uow:  # the pricing trace is kept with it
        stored = InvoiceRepository(uow.session).get(inv["id"])
    assert stored is not None and "line.tax[0] 950 -> 950 (half-up)" in stored.priced.explain()
    [(kind, created)] = outbox(app, "InvoiceCreated")
    assert kind == "billing.InvoiceCreated.v4"
    assert (created["billingReason"], created["orderId"], created["total"]) == ("manual", None, 5950)


def test_two_items_are_finalized_in_the_order_invoices_series_then_paid_and_sent(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    order = order_created()
    deliver(app, event("OrderCreated", order))
    by_order = client.post("/api/v1/Invoices", json={"orderId": order["id"]}, headers=admin)
    assert by_order.status_code == 200, by_order.json  # drafted on OrderCreated
    first = client.post(f"/api/v1/Invoices/{by_order.json['id']}/finalize", headers=admin).json["number"]

    cid = customer(app, "DE")
    tax_rule(app, "DE", "0.19", CATEGORY)
    add_item(client, admin, cid, description="Setup", amount=5000)
    add_item(client, admin, cid, description="Training day", unitPrice=40000, quantity=2, taxCategory=None)
    inv = manual_invoice(client, admin, cid).json
    assert [(x["name"], x["subtotal"], x["tax"], x["total"]) for x in inv["lines"]] == [
        ("Setup", 5000, 950, 5950),
        ("Training day", 80000, 0, 80000),
    ]
    assert inv["total"] == 85950 and inv["allowedActions"] == ["finalize", "void"]

    done = client.post(f"/api/v1/Invoices/{inv['id']}/finalize", headers=admin)
    assert done.status_code == 200, done.json
    series, _, seq = first.rpartition("-")
    assert done.json["number"] == f"{series}-{int(seq) + 1:06d}"  # the same gapless series, next number
    assert (done.json["status"], done.json["amountDue"]) == ("open", 85950)

    paid = client.post(
        f"/api/v1/Invoices/{inv['id']}/pay",
        json={"paidOutOfBand": True, "reference": "SEPA 42"},
        headers=admin,
    )
    assert paid.status_code == 200, paid.json
    assert (paid.json["status"], paid.json["amountPaid"], paid.json["amountDue"]) == ("paid", 85950, 0)
    sent = client.post(f"/api/v1/Invoices/{inv['id']}/send", headers=admin)
    assert sent.status_code == 200, sent.json
    assert sent.json["sentTo"] == "greta@example.com"
    types = {kind for name in ("InvoiceFinalized", "InvoicePaid") for kind, data in outbox(app, name)}
    assert types == {"billing.InvoiceFinalized.v4", "billing.InvoicePaid.v5"}
    assert [d["billingReason"] for _, d in outbox(app, "InvoicePaid")] == ["manual"]


def test_pending_items_of_several_currencies_need_one_chosen(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    cid = customer(app)
    usd = add_item(client, admin, cid, amount=1000)
    eur = add_item(client, admin, cid, amount=2000, currency="EUR")
    several = manual_invoice(client, admin, cid)
    assert several.status_code == 422 and [e["field"] for e in several.json["errors"]] == ["currency"]
    none_in = manual_invoice(client, admin, cid, currency="JPY")
    assert none_in.status_code == 422 and [e["field"] for e in none_in.json["errors"]] == ["currency"]
    in_eur = manual_invoice(client, admin, cid, currency="EUR")
    assert in_eur.status_code == 201 and [x["productId"] for x in in_eur.json["lines"]] == [eur["id"]]
    assert [i["id"] for i in items_of(client, admin, cid, "pending")] == [usd["id"]]
    rest = manual_invoice(client, admin, cid)  # one currency left: no need to choose
    assert rest.status_code == 201 and rest.json["currency"] == "USD" and rest.json["total"] == 1000
    nothing = manual_invoice(client, admin, cid)
    assert nothing.status_code == 422 and [e["field"] for e in nothing.json["errors"]] == ["customerId"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"orderId", "customerId"}),
        ({"orderId": "ord_1", "customerId": "cus_1", "includePendingItems": True}, {"orderId", "customerId"}),
        ({"customerId": "cus_1"}, {"includePendingItems"}),
        ({"customerId": "cus_1", "includePendingItems": False}, {"includePendingItems"}),
        ({"customerId": "cus_1", "includePendingItems": True, "currency": "usd"}, {"currency"}),
        ({"orderId": "ord_1", "currency": "USD"}, {"currency"}),
        ({"orderId": "ord_1", "includePendingItems": True}, {"includePendingItems"}),
    ],
)
def test_a_body_that_is_neither_kind_of_invoice_is_a_422(
    client: FlaskClient, admin: dict[str, str], body: dict[str, Any], fields: set[str]
) -> None:
    r = client.post("/api/v1/Invoices", json=body, headers=admin)
    assert r.status_code == 422, r.json
    assert {e["field"] for e in r.json["errors"]} == fields, r.json


def test_an_unknown_customer_is_a_422_and_a_replay_gives_the_same_invoice(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    unknown = manual_invoice(client, admin, "cus_00000000000000000000000000")
    assert unknown.status_code == 422 and [e["field"] for e in unknown.json["errors"]] == ["customerId"]
    cid = customer(app)
    add_item(client, admin, cid)
    body = {"customerId": cid, "includePendingItems": True}
    headers = admin | {"Idempotency-Key": "manual-1"}
    first = client.post("/api/v1/Invoices", json=body, headers=headers)
    again = client.post("/api/v1/Invoices", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert len(outbox(app, "InvoiceCreated")) == 1


def test_voiding_the_draft_gives_its_items_back_and_an_issued_invoice_keeps_them(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    cid = customer(app)
    item = add_item(client, admin, cid)
    draft = manual_invoice(client, admin, cid).json
    voided = client.post(f"/api/v1/Invoices/{draft['id']}/void", headers=admin)
    assert voided.status_code == 200 and voided.json["status"] == "void"
    back = client.get(f"/api/v1/InvoiceItems/{item['id']}", headers=admin).json
    assert (back["status"], back["invoiceId"]) == ("pending", None)

    again = manual_invoice(client, admin, cid).json
    assert [x["productId"] for x in again["lines"]] == [item["id"]]
    client.post(f"/api/v1/Invoices/{again['id']}/finalize", headers=admin)
    assert client.post(f"/api/v1/Invoices/{again['id']}/void", headers=admin).json["status"] == "void"
    kept = client.get(f"/api/v1/InvoiceItems/{item['id']}", headers=admin).json
    assert (kept["status"], kept["invoiceId"]) == ("invoiced", again["id"])


def test_concurrent_manual_invoices_never_share_an_item(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    cid = customer(app)
    items = [add_item(client, admin, cid, amount=100 * (n + 1))["id"] for n in range(3)]
    racers = 6
    start = threading.Barrier(racers)
    answers: list[Any] = []

    def race() -> None:
        own = app.test_client()
        start.wait()
        answers.append(manual_invoice(own, admin, cid))

    threads = [threading.Thread(target=race) for _ in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r.status_code for r in answers) == [201] + [422] * (racers - 1), [r.json for r in answers]
    [made] = [r.json for r in answers if r.status_code == 201]
    assert [x["productId"] for x in made["lines"]] == items and made["total"] == 600
    assert {(i["status"], i["invoiceId"]) for i in items_of(client, admin, cid)} == {("invoiced", made["id"])}


def test_a_request_waits_for_items_another_taker_holds_and_then_leaves_them(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    """Whoever takes the items first (a billing run, another request) holds their rows; a manual
    invoice waits for it and then finds nothing pending: it never invoices them a second time."""
    cid = customer(app)
    add_item(client, admin, cid)
    answers: list[Any] = []
    db = deps_of(app).db
    with db.unit_of_work() as uow:
        repo = InvoiceItemRepository(uow.session)
        held = repo.lock_pending([cid])
        waiting = threading.Thread(
            target=lambda: answers.append(manual_invoice(app.test_client(), admin, cid))
        )
        waiting.start()
        time.sleep(1.0)
        assert waiting.is_alive() and not answers, "the request waits on the locked items"
        repo.take([i.id for i in held], "in_" + uuid.uuid4().hex[:26].upper(), datetime.now(UTC))
        uow.commit()
    waiting.join(30)
    [r] = answers
    assert r.status_code == 422, r.json
    assert items_of(client, admin, cid, "pending") == []
