"""Paying an open invoice by intent (`invoiceId`): checked against payments' projection of the
invoice (open, amount due, currency, whose), an order's invoice paid as its order (the intent names
both), a renewal invoice paid by the customer instead of by dunning, and one payment per invoice
under concurrent requests (50 with one Idempotency-Key, 10 with their own)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fake_provider import FakeProvider
from flask import Flask
from flask.testing import FlaskClient
from payments_testing import deliver, invoice_event, renewal_request
from test_payments_methods import attach, known_customer

from billing_devtools.testing.samples import envelope
from billing_shared.ids import new_id
from billing_shared.web.context import deps_of
from payments.bootstrap import Deps
from payments.service_layer import renewals

Outbox = Callable[..., list[dict[str, Any]]]


def invoice(
    app: Flask, name: str, *, customer_id: str, order_id: str | None, total: int, **over: Any
) -> dict[str, Any]:
    """An invoicing event of an invoice (v2, as invoicing publishes them), applied by the handler."""
    data = {
        "id": new_id("in"),
        "orderId": order_id,
        "customerId": customer_id,
        "currency": "EUR",
        "total": total,
        "status": "open",
        "number": "INV-2026-000001",
        "finalizedAt": "2026-12-01T00:00:00+00:00",
        "subscriptionId": None if order_id else new_id("sub"),
        "billingReason": "order" if order_id else "subscription_cycle",
        "periodStart": None,
        "periodEnd": None,
    } | over
    data = {k: v for k, v in data.items() if not (k == "finalizedAt" and v is None)}
    deliver(app, envelope(name, data, version=2, source="/invoicing"))
    return data


def pay(client: FlaskClient, headers: dict[str, str], inv: dict[str, Any], **over: Any) -> Any:
    body = {
        "invoiceId": inv["id"],
        "amount": inv["total"],
        "currency": "EUR",
        "paymentMethodToken": "tok_visa",
    }
    body = {k: v for k, v in (body | over).items() if v is not None}  # a field given as None is left out
    return client.post("/api/v1/PaymentIntents", json=body, headers=headers)


def test_an_orders_open_invoice_is_paid_as_its_order(
    app: Flask,
    client: FlaskClient,
    admin: dict[str, str],
    know_order: Callable[..., dict[str, Any]],
    fake: FakeProvider,
    outbox: Outbox,
) -> None:
    customer_id = known_customer(app)
    method = attach(client, admin, customer_id).json
    order = know_order(total=2500, currency="EUR", customer_id=customer_id)
    inv = invoice(app, "InvoiceFinalized", customer_id=customer_id, order_id=order["id"], total=2500)
    r = pay(client, admin, inv, paymentMethodToken=None, paymentMethodId=method["id"])
    assert r.status_code == 201 and r.json["status"] == "succeeded", r.json
    assert (r.json["invoiceId"], r.json["orderId"], r.json["offSession"]) == (inv["id"], order["id"], False)
    (succeeded,) = outbox("PaymentSucceeded")
    assert (succeeded["invoiceId"], succeeded["orderId"]) == (inv["id"], order["id"])
    # the order is held: paying it by its own id too is refused, as is paying the invoice again
    again = {"orderId": order["id"], "amount": 2500, "currency": "EUR", "paymentMethodToken": "tok_visa"}
    assert client.post("/api/v1/PaymentIntents", json=again, headers=admin).status_code == 409
    assert pay(client, admin, inv).status_code == 409
    assert len(fake.requests) == 1


def test_what_cannot_be_paid_is_refused_before_any_gateway_hears_of_it(
    app: Flask, client: FlaskClient, admin: dict[str, str], fake: FakeProvider
) -> None:
    customer_id = known_customer(app)
    inv = invoice(app, "InvoiceFinalized", customer_id=customer_id, order_id=None, total=2900)
    wrong = pay(client, admin, inv, amount=2800, currency="USD")
    assert wrong.status_code == 422 and {e["field"] for e in wrong.json["errors"]} == {"amount", "currency"}
    assert pay(client, admin, {"id": new_id("in"), "total": 2900}).status_code == 422  # a draft or unknown
    both = pay(client, admin, inv, orderId=new_id("ord"))
    assert both.status_code == 422
    voided_at = {"finalizedAt": None, "voidedAt": "2026-12-02T00:00:00+00:00", "status": "void"}
    invoice(
        app, "InvoiceVoided", customer_id=customer_id, order_id=None, total=2900, id=inv["id"], **voided_at
    )
    voided = pay(client, admin, inv)
    assert voided.status_code == 422 and voided.json["errors"][0]["field"] == "invoiceId"
    assert fake.requests == []


def test_a_renewal_invoice_paid_by_the_customer_is_not_charged_again_by_dunning(
    app: Flask, client: FlaskClient, admin: dict[str, str], fake: FakeProvider, outbox: Outbox
) -> None:
    customer_id = known_customer(app)
    inv = invoice(app, "InvoiceFinalized", customer_id=customer_id, order_id=None, total=2900)
    r = pay(client, admin, inv)
    assert (
        r.status_code == 201
        and r.json["subscriptionId"] == inv["subscriptionId"]
        and r.json["attempt"] is None
    )
    retry = renewal_request(
        invoiceId=inv["id"], subscriptionId=inv["subscriptionId"], customerId=customer_id, attempt=2
    )
    deliver(app, invoice_event("InvoicePaymentRequested", retry))
    renewals.charge_off_session(deps_of(app, Deps))
    assert len(fake.requests) == 1
    assert outbox("PaymentFailed")[-1]["failureCode"] == "invoice_already_paid"


def test_one_charge_under_fifty_same_key_and_ten_other_key_requests(
    app: Flask, admin: dict[str, str], fake: FakeProvider, outbox: Outbox
) -> None:
    customer_id = known_customer(app)
    inv = invoice(app, "InvoiceFinalized", customer_id=customer_id, order_id=None, total=2900)
    fake.delay = 0.05  # the gateway takes a moment: every request is in flight together
    statuses: list[int] = []
    lock = threading.Lock()

    def one(key: str) -> None:
        r = pay(app.test_client(), admin | {"Idempotency-Key": key}, inv)
        with lock:
            statuses.append(r.status_code)

    threads = [threading.Thread(target=one, args=("same-key",)) for _ in range(50)]
    threads += [threading.Thread(target=one, args=(f"own-key-{i}",)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(s in (200, 201, 409) for s in statuses) and any(s == 201 for s in statuses), statuses
    assert len(fake.calls_of("create_intent")) == 1
    assert len(outbox("PaymentSucceeded")) == 1
    listed = (
        app.test_client().get(f"/api/v1/PaymentIntents?invoiceId={inv['id']}", headers=admin).json["data"]
    )
    assert [i["status"] for i in listed] == ["succeeded"]


def test_a_customer_token_pays_its_own_open_invoice_only(
    app: Flask, client: FlaskClient, tokens: Any, fake: FakeProvider
) -> None:
    mine, theirs = known_customer(app), known_customer(app)
    own = invoice(app, "InvoiceFinalized", customer_id=mine, order_id=None, total=2900)
    other = invoice(app, "InvoiceFinalized", customer_id=theirs, order_id=None, total=2900)
    me = {"Authorization": f"Bearer {tokens.token('payments:read payments:write', customer_id=mine)}"}
    refused = pay(client, me, other)
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "invoiceId"
    assert len(fake.requests) == 0
    paid = pay(client, me, own)
    assert paid.status_code == 201 and paid.json["status"] == "succeeded" and paid.json["customerId"] == mine
