"""The contract stripe-mock cannot enforce, asserted on the wire: every off-session PaymentIntent
payments sends to Stripe names the Customer, the PaymentMethod, `off_session` and `confirm` (real
Stripe refuses to charge a saved method again without its Customer; stripe-mock accepts anything).

The whole path runs through payments' API and worker code against stripe-mock: a card saved for a
customer, made the default, renewals charging the subscription's method, a token from before saved
methods, and the default once the subscription's method is detached."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from payments_testing import deliver, invoice_event, order_created, renewal_request
from stripe_mock_testing import RecordingClient

from billing_devtools.testing.samples import customer_event, envelope
from billing_devtools.testing.tokens import TokenFactory
from billing_shared.ids import new_id
from billing_shared.web.context import deps_of
from payments.adapters.stripe import StripeProvider
from payments.app import create_app
from payments.bootstrap import Deps
from payments.config import PaymentsSettings
from payments.service_layer import renewals

pytestmark = pytest.mark.stripe_mock


@pytest.fixture()
def stripe_app(
    settings: PaymentsSettings, tokens: TokenFactory, stripe_mock_url: str, recorder: RecordingClient
) -> Iterator[Flask]:
    stripe_settings = SimpleNamespace(
        stripe_api_key="sk_test_123", stripe_api_base=stripe_mock_url, stripe_max_network_retries=0
    )
    provider = StripeProvider(stripe_settings, http_client=recorder)
    app = create_app(settings, providers={"stripe": provider}, verifier=tokens.verifier())
    yield app
    deps_of(app).db.dispose()


def renew(app: Flask, customer_id: str, method: str) -> None:
    request = renewal_request(method, customerId=customer_id, gatewayId="stripe")
    deliver(app, invoice_event("InvoicePaymentRequested", request))
    renewals.charge_off_session(deps_of(app, Deps))


def test_every_off_session_charge_names_the_customer_and_the_method(
    stripe_app: Flask, recorder: RecordingClient, admin: dict[str, str]
) -> None:
    client: FlaskClient = stripe_app.test_client()
    customer_id = new_id("cus")
    event = customer_event(customer_id)
    deliver(stripe_app, envelope(event.name, event.data, source="/customers"))
    attach = {"customerId": customer_id, "paymentMethodToken": "pm_card_visa", "gatewayId": "stripe"}
    first = client.post("/api/v1/PaymentMethods", json=attach, headers=admin)
    assert first.status_code == 201, first.json
    another = attach | {"paymentMethodToken": "pm_card_mastercard", "setDefault": True}
    second = client.post("/api/v1/PaymentMethods", json=another, headers=admin).json
    assert second["id"] != first.json["id"]
    assert client.post(f"/api/v1/PaymentMethods/{first.json['id']}/default", headers=admin).status_code == 200

    renew(stripe_app, customer_id, second["id"])  # the subscription's saved method
    renew(stripe_app, customer_id, "pm_card_amex")  # a subscription from before saved methods
    assert client.delete(f"/api/v1/PaymentMethods/{second['id']}", headers=admin).status_code == 204
    renew(stripe_app, customer_id, second["id"])  # detached since: the default

    customers = [s for s in recorder.sent if s["method"] == "post" and s["url"].endswith("/v1/customers")]
    assert len(customers) == 1  # one Stripe Customer for our customer at this gateway
    charges = [s["form"] for s in recorder.sent if s["url"].endswith("/v1/payment_intents")]
    assert len(charges) == 3
    for form in charges:
        assert form["off_session"] == "true" and form["confirm"] == "true"
        assert form["customer"].startswith("cus_") and form["payment_method"].startswith("pm_")
        assert "return_url" not in form
    assert [f["payment_method"] for f in charges] == ["pm_card_mastercard", "pm_card_amex", "pm_card_visa"]


def test_a_payment_that_saves_its_card_tells_stripe_with_the_customer(
    stripe_app: Flask, recorder: RecordingClient, admin: dict[str, str]
) -> None:
    """`savePaymentMethod`: the card is attached to the Stripe Customer, and the payment names the
    customer with `setup_future_usage: off_session`, so Stripe asks now for what later off-session
    charges need; the renewal after it charges that card with the customer."""
    client: FlaskClient = stripe_app.test_client()
    order = order_created(total=4200, currency="EUR")
    deliver(stripe_app, order)
    body = {
        "orderId": order.data["id"],
        "amount": 4200,
        "currency": "EUR",
        "paymentMethodToken": "pm_card_visa",
        "savePaymentMethod": True,
        "gatewayId": "stripe",
    }
    r = client.post("/api/v1/PaymentIntents", json=body, headers=admin)
    assert r.status_code == 201, r.json
    renew(stripe_app, order.data["customerId"], _saved(client, admin, order.data["customerId"]))
    charges = [s["form"] for s in recorder.sent if s["url"].endswith("/v1/payment_intents")]
    on_session, off_session = charges
    assert on_session["setup_future_usage"] == "off_session" and on_session["customer"].startswith("cus_")
    assert "off_session" not in on_session
    assert (off_session["customer"], off_session["payment_method"]) == (
        on_session["customer"],
        on_session["payment_method"],
    )
    assert off_session["off_session"] == "true" and "setup_future_usage" not in off_session


def _saved(client: FlaskClient, admin: dict[str, str], customer_id: str) -> str:
    (method,) = client.get(f"/api/v1/PaymentMethods?customerId={customer_id}", headers=admin).json["data"]
    return str(method["id"])
