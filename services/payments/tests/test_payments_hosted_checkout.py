"""The checkout behind a hosted invoice page's Pay button, in-process with the in-memory gateway:
the page's signed token is the only credential; the customer's saved cards are offered; paying
redirects to 3D Secure or back to the invoice page; a declined card is shown; an invoice already
being paid or paid is never charged again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fake_provider import FakeProvider
from flask import Flask
from flask.testing import FlaskClient
from payments_testing import HOSTED_SECRET
from test_payments_invoice_intents import invoice
from test_payments_methods import attach, known_customer

from billing_shared.hosted.tokens import hosted_url_token

BASE = "http://127.0.0.1:8080/api/v1"


def link(invoice_id: str, *, days: int = 30) -> str:
    return hosted_url_token(invoice_id, datetime.now(UTC) + timedelta(days=days), HOSTED_SECRET)


def pay(client: FlaskClient, token: str, method_id: str) -> Any:
    """The checkout's form, posted as a browser does."""
    return client.post(f"/api/v1/PaymentIntents/hosted/{token}", data={"paymentMethodId": method_id})


def open_invoice(app: Flask, customer_id: str, total: int = 2900) -> dict[str, Any]:
    return invoice(app, "InvoiceFinalized", customer_id=customer_id, order_id=None, total=total)


def test_the_page_offers_the_customers_cards_and_paying_goes_back_to_the_invoice(
    app: Flask, client: FlaskClient, admin: dict[str, str], fake: FakeProvider
) -> None:
    customer_id = known_customer(app)
    card = attach(client, admin, customer_id).json
    someone_elses = attach(client, admin, known_customer(app)).json
    inv = open_invoice(app, customer_id)
    token = link(inv["id"])
    page = client.get(f"/api/v1/PaymentIntents/hosted/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "29.00 EUR" in html and card["id"] in html and "ending in 4242" in html
    assert someone_elses["id"] not in html
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]

    theirs = client.post(
        f"/api/v1/PaymentIntents/hosted/{token}", data={"paymentMethodId": someone_elses["id"]}
    )
    assert theirs.status_code == 422 and fake.requests == []
    paid = client.post(f"/api/v1/PaymentIntents/hosted/{token}", data={"paymentMethodId": card["id"]})
    assert paid.status_code == 303 and paid.headers["Location"] == f"{BASE}/Invoices/hosted/{token}"
    (sent,) = fake.requests
    assert sent.saved_method and not sent.off_session and sent.return_url == f"{BASE}/Invoices/hosted/{token}"
    listed = client.get(f"/api/v1/PaymentIntents?invoiceId={inv['id']}", headers=admin).json["data"]
    assert [(i["status"], i["offSession"]) for i in listed] == [("succeeded", False)]
    again = client.post(f"/api/v1/PaymentIntents/hosted/{token}", data={"paymentMethodId": card["id"]})
    assert again.status_code == 303 and len(fake.requests) == 1  # paid: back to the invoice, no charge


def test_a_card_that_asks_for_3ds_goes_to_the_gateways_page_and_a_second_pay_resumes_it(
    app: Flask, client: FlaskClient, admin: dict[str, str], fake: FakeProvider
) -> None:
    customer_id = known_customer(app)
    card = attach(client, admin, customer_id, paymentMethodToken="tok_threeDSecureRequired").json
    token = link(open_invoice(app, customer_id)["id"])
    first = client.post(f"/api/v1/PaymentIntents/hosted/{token}", data={"paymentMethodId": card["id"]})
    assert first.status_code == 303 and first.headers["Location"].startswith("https://fake.test/3ds/")
    second = client.post(f"/api/v1/PaymentIntents/hosted/{token}", data={"paymentMethodId": card["id"]})
    assert second.headers["Location"] == first.headers["Location"] and len(fake.requests) == 1


def test_a_declined_card_is_shown_on_the_page(
    app: Flask, client: FlaskClient, admin: dict[str, str], fake: FakeProvider
) -> None:
    customer_id = known_customer(app)
    card = attach(client, admin, customer_id, paymentMethodToken="tok_chargeDeclined").json
    token = link(open_invoice(app, customer_id)["id"])
    r = client.post(f"/api/v1/PaymentIntents/hosted/{token}", data={"paymentMethodId": card["id"]})
    assert r.status_code == 200 and "insufficient funds" in r.get_data(as_text=True)


def test_only_a_valid_unexpired_link_opens_the_checkout(app: Flask, client: FlaskClient) -> None:
    inv = open_invoice(app, known_customer(app))
    assert client.get(f"/api/v1/PaymentIntents/hosted/{link(inv['id'])}x").status_code == 404
    assert client.get(f"/api/v1/PaymentIntents/hosted/{link(inv['id'], days=-1)}").status_code == 410
    forged = hosted_url_token(inv["id"], datetime.now(UTC) + timedelta(days=1), "another-secret-" * 3)
    assert (
        client.post(f"/api/v1/PaymentIntents/hosted/{forged}", data={"paymentMethodId": "pm_x"}).status_code
        == 404
    )
