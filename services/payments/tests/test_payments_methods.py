"""Saved payment methods through the payments API, on PostgreSQL with the in-memory gateway (`fake`):
a card saved for a customer the provider knows, each customer's default (counted, so the
customers service keeps the latest), orders paid with a saved method, detaching, a customer
token's own methods only, and renewals that charge the subscription's method or the default,
always naming the provider's customer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fake_provider import FakeProvider
from flask import Flask
from flask.testing import FlaskClient
from payments_testing import deliver, invoice_event, renewal_request

from billing_devtools.testing.samples import customer_event, envelope
from billing_devtools.testing.tokens import TokenFactory
from billing_shared.ids import new_id
from billing_shared.web.context import deps_of
from payments.bootstrap import Deps
from payments.service_layer import renewals

Outbox = Callable[..., list[dict[str, Any]]]


def known_customer(app: Flask) -> str:
    """A customer payments heard of (CustomerCreated)."""
    customer_id = new_id("cus")
    event = customer_event(customer_id)
    deliver(app, envelope(event.name, event.data, source="/customers"))
    return customer_id


def attach(client: FlaskClient, headers: dict[str, str], customer_id: str, **over: Any) -> Any:
    body = {"customerId": customer_id, "paymentMethodToken": "tok_visa"} | over
    return client.post("/api/v1/PaymentMethods", json=body, headers=headers)


def test_a_saved_card_shows_brand_last4_and_expiry_and_the_first_is_the_default(
    app: Flask, client: FlaskClient, admin: dict[str, str], fake: FakeProvider, outbox: Outbox
) -> None:
    customer_id = known_customer(app)
    r = attach(client, admin, customer_id)
    assert r.status_code == 201, r.json
    method = r.json
    assert method["id"].startswith("pm_") and method["customerId"] == customer_id
    assert (method["brand"], method["last4"], method["expMonth"], method["expYear"]) == (
        "visa",
        "4242",
        12,
        2031,
    )
    assert "tok_visa" not in r.get_data(as_text=True) and r.headers["Location"].endswith(method["id"])
    assert fake.calls_of("create_customer") == [f"{customer_id}:customer:test"]
    assert client.get(f"/api/v1/PaymentMethods/{method['id']}", headers=admin).json == method
    listed = client.get(f"/api/v1/PaymentMethods?customerId={customer_id}", headers=admin).json["data"]
    assert [m["id"] for m in listed] == [method["id"]]
    assert outbox("PaymentMethodAttached", version=1)[0]["id"] == method["id"]
    (default,) = outbox("PaymentMethodDefaultChanged", version=2)
    assert (default["paymentMethodId"], default["defaultVersion"], default["gatewayId"]) == (
        method["id"],
        1,
        "test",
    )

    second = attach(client, admin, customer_id).json  # not asked to be the default: it is not
    assert len(outbox("PaymentMethodDefaultChanged", version=2)) == 1
    third = attach(client, admin, customer_id, setDefault=True).json
    changes = outbox("PaymentMethodDefaultChanged", version=2)
    assert [(c["paymentMethodId"], c["defaultVersion"]) for c in changes] == [
        (method["id"], 1),
        (third["id"], 2),
    ]
    r = client.post(f"/api/v1/PaymentMethods/{second['id']}/default", headers=admin)
    assert (
        r.status_code == 200 and outbox("PaymentMethodDefaultChanged", version=2)[-1]["defaultVersion"] == 3
    )
    assert fake.calls_of("create_customer") == [f"{customer_id}:customer:test"]  # one provider customer


def test_bad_requests_save_nothing(
    app: Flask, client: FlaskClient, admin: dict[str, str], fake: FakeProvider, outbox: Outbox
) -> None:
    customer_id = known_customer(app)
    unknown = attach(client, admin, new_id("cus"))
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "customerId"
    refused = attach(client, admin, customer_id, paymentMethodToken="tok_refused")
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "paymentMethodToken"
    assert attach(client, admin, customer_id, gatewayId="nowhere").status_code == 422
    assert attach(client, admin, customer_id, cardNumber="4242424242424242").status_code == 422
    assert client.get(f"/api/v1/PaymentMethods?customerId={customer_id}", headers=admin).json["data"] == []
    assert outbox("PaymentMethodAttached", version=1) == []


def test_the_same_idempotency_key_saves_one_card(
    app: Flask, client: FlaskClient, admin: dict[str, str], fake: FakeProvider
) -> None:
    customer_id = known_customer(app)
    headers = admin | {"Idempotency-Key": "save-card-1"}
    first, again = attach(client, headers, customer_id), attach(client, headers, customer_id)
    assert first.json == again.json and again.headers["Idempotent-Replayed"] == "true"
    assert len(fake.calls_of("attach_method")) == 1


def test_an_order_paid_with_a_saved_method_charges_it_with_its_customer(
    app: Flask,
    client: FlaskClient,
    admin: dict[str, str],
    fake: FakeProvider,
    know_order: Callable[..., dict[str, Any]],
    outbox: Outbox,
) -> None:
    customer_id = known_customer(app)
    method = attach(client, admin, customer_id).json
    order = know_order(total=1500, currency="EUR", customer_id=customer_id)
    body = {"orderId": order["id"], "amount": 1500, "currency": "EUR", "paymentMethodId": method["id"]}
    r = client.post("/api/v1/PaymentIntents", json=body, headers=admin)
    assert r.status_code == 201 and r.json["status"] == "succeeded", r.json
    (sent,) = fake.requests
    assert sent.saved_method and sent.customer_reference and sent.customer_reference.startswith("fc_")
    assert sent.payment_method_token in fake.saved  # the provider's saved card, not a token
    # a subscription started by this payment renews on the saved method: the event names it
    assert outbox("PaymentSucceeded")[0]["paymentMethodToken"] == method["id"]

    both = body | {"paymentMethodToken": "tok_visa"}
    assert client.post("/api/v1/PaymentIntents", json=both, headers=admin).status_code == 422
    other = known_customer(app)
    someone_elses = attach(client, admin, other).json
    order2 = know_order(total=1500, currency="EUR", customer_id=customer_id)
    wrong = body | {"orderId": order2["id"], "paymentMethodId": someone_elses["id"]}
    r = client.post("/api/v1/PaymentIntents", json=wrong, headers=admin)
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "paymentMethodId"
    assert len(fake.requests) == 1


def test_a_detached_method_is_gone_charged_never_again_and_no_longer_the_default(
    app: Flask,
    client: FlaskClient,
    admin: dict[str, str],
    fake: FakeProvider,
    know_order: Callable[..., dict[str, Any]],
    outbox: Outbox,
) -> None:
    customer_id = known_customer(app)
    method = attach(client, admin, customer_id).json
    r = client.delete(f"/api/v1/PaymentMethods/{method['id']}", headers=admin)
    assert r.status_code == 204
    assert client.get(f"/api/v1/PaymentMethods/{method['id']}", headers=admin).status_code == 404
    assert client.delete(f"/api/v1/PaymentMethods/{method['id']}", headers=admin).status_code == 404
    assert all(customer is None for customer, _ in fake.saved.values())
    assert outbox("PaymentMethodDetached", version=1)[0]["id"] == method["id"]
    cleared = outbox("PaymentMethodDefaultChanged", version=2)[-1]
    assert (cleared["paymentMethodId"], cleared["previousPaymentMethodId"]) == (None, method["id"])
    order = know_order(total=900, currency="EUR", customer_id=customer_id)
    body = {"orderId": order["id"], "amount": 900, "currency": "EUR", "paymentMethodId": method["id"]}
    assert client.post("/api/v1/PaymentIntents", json=body, headers=admin).status_code == 422
    assert fake.requests == []


def test_a_customer_token_manages_its_own_methods_only(
    app: Flask, client: FlaskClient, admin: dict[str, str], tokens: TokenFactory
) -> None:
    mine, theirs = known_customer(app), known_customer(app)
    own = attach(client, admin, mine).json
    other = attach(client, admin, theirs).json
    me = {"Authorization": f"Bearer {tokens.token('payments:read payments:write', customer_id=mine)}"}
    assert client.get(f"/api/v1/PaymentMethods/{own['id']}", headers=me).status_code == 200
    assert client.get(f"/api/v1/PaymentMethods/{other['id']}", headers=me).status_code == 404
    assert client.delete(f"/api/v1/PaymentMethods/{other['id']}", headers=me).status_code == 404
    assert client.post(f"/api/v1/PaymentMethods/{other['id']}/default", headers=me).status_code == 404
    assert [m["id"] for m in client.get("/api/v1/PaymentMethods", headers=me).json["data"]] == [own["id"]]
    assert client.get(f"/api/v1/PaymentMethods?customerId={theirs}", headers=me).json["data"] == []
    assert attach(client, me, theirs).status_code == 422
    assert attach(client, me, mine).status_code == 201
    assert client.get(f"/api/v1/PaymentMethods/{other['id']}", headers=admin).status_code == 200


def renewal(app: Flask, customer_id: str, token: str) -> None:
    """InvoicePaymentRequested for a renewal charging `token`, applied and charged off-session."""
    deliver(app, invoice_event("InvoicePaymentRequested", renewal_request(token, customerId=customer_id)))
    renewals.charge_off_session(deps_of(app, Deps))


def test_renewals_charge_the_subscriptions_method_else_the_default_always_with_the_customer(
    app: Flask, client: FlaskClient, admin: dict[str, str], fake: FakeProvider, outbox: Outbox
) -> None:
    customer_id = known_customer(app)
    first = attach(client, admin, customer_id).json
    second = attach(client, admin, customer_id).json
    renewal(app, customer_id, second["id"])  # the subscription's own method
    renewal(app, customer_id, "tok_visa")  # a subscription from before saved methods: its token
    client.delete(f"/api/v1/PaymentMethods/{second['id']}", headers=admin)
    renewal(app, customer_id, second["id"])  # detached since: the default (the first) instead
    first_ref, second_ref = fake.saved  # the provider's references, in the order saved
    assert [(r.off_session, r.saved_method, r.payment_method_token) for r in fake.requests] == [
        (True, True, second_ref),
        (True, False, "tok_visa"),
        (True, True, first_ref),
    ]
    customers = {r.customer_reference for r in fake.requests}
    assert len(customers) == 1 and None not in customers  # every off-session charge names the customer
    assert [e["paymentMethodToken"] for e in outbox("PaymentSucceeded")] == [
        second["id"],
        "tok_visa",
        first["id"],
    ]

    client.delete(f"/api/v1/PaymentMethods/{first['id']}", headers=admin)  # no default left
    renewal(app, customer_id, first["id"])
    failed = outbox("PaymentFailed")[-1]
    assert failed["failureCode"] == "no_payment_method" and len(fake.requests) == 3


def test_a_payment_that_saves_its_card_leaves_a_method_the_renewal_then_uses(
    app: Flask,
    client: FlaskClient,
    admin: dict[str, str],
    fake: FakeProvider,
    know_order: Callable[..., dict[str, Any]],
    outbox: Outbox,
) -> None:
    customer_id = known_customer(app)
    order = know_order(total=1500, currency="EUR", customer_id=customer_id)
    body = {
        "orderId": order["id"],
        "amount": 1500,
        "currency": "EUR",
        "paymentMethodToken": "tok_visa",
        "savePaymentMethod": True,
    }
    headers = admin | {"Idempotency-Key": "pay-and-save"}
    first = client.post("/api/v1/PaymentIntents", json=body, headers=headers)
    again = client.post("/api/v1/PaymentIntents", json=body, headers=headers)
    assert first.status_code == 201 and first.json["status"] == "succeeded", first.json
    assert again.json["id"] == first.json["id"]
    (saved,) = client.get(f"/api/v1/PaymentMethods?customerId={customer_id}", headers=admin).json["data"]
    (sent,) = fake.requests
    assert sent.saved_method and sent.save_for_future and not sent.off_session
    assert len(fake.calls_of("attach_method")) == 1
    (succeeded,) = outbox("PaymentSucceeded")
    assert succeeded["paymentMethodToken"] == saved["id"]  # what the order's subscription will charge

    renewal(app, customer_id, succeeded["paymentMethodToken"])
    assert [(r.off_session, r.saved_method, r.payment_method_token) for r in fake.requests][-1] == (
        True,
        True,
        sent.payment_method_token,
    )
    saved_twice = body | {"paymentMethodToken": None, "paymentMethodId": saved["id"]}
    del saved_twice["paymentMethodToken"]
    assert client.post("/api/v1/PaymentIntents", json=saved_twice, headers=admin).status_code == 422


def test_a_setup_intent_saves_a_card_without_a_charge_after_3ds_when_asked(
    app: Flask, client: FlaskClient, admin: dict[str, str], fake: FakeProvider, tokens: TokenFactory
) -> None:
    customer_id = known_customer(app)
    body = {"customerId": customer_id, "paymentMethodToken": "tok_visa"}
    at_once = client.post("/api/v1/SetupIntents", json=body, headers=admin)
    assert at_once.status_code == 201 and at_once.json["status"] == "succeeded", at_once.json
    assert at_once.json["paymentMethodId"].startswith("pm_")
    challenged = client.post(
        "/api/v1/SetupIntents",
        json=body | {"paymentMethodToken": "tok_threeDSecureRequired", "setDefault": True},
        headers=admin | {"Idempotency-Key": "setup-3ds"},
    ).json
    assert challenged["status"] == "requires_action" and challenged["paymentMethodId"] is None
    assert challenged["nextAction"]["url"].startswith("https://fake.test/3ds/")
    listed = client.get(f"/api/v1/PaymentMethods?customerId={customer_id}", headers=admin).json["data"]
    assert [m["id"] for m in listed] == [at_once.json["paymentMethodId"]]
    waiting = client.get(f"/api/v1/SetupIntents/{challenged['id']}", headers=admin).json
    assert waiting["status"] == "requires_action"

    reference = next(ref for ref, s in fake.setups.items() if s.status == "requires_action")
    fake.complete_setup(reference, sent_customer(fake), "tok_threeDSecureRequired")
    done = client.get(f"/api/v1/SetupIntents/{challenged['id']}", headers=admin).json
    assert done["status"] == "succeeded" and done["paymentMethodId"], done
    again = client.get(f"/api/v1/SetupIntents/{challenged['id']}", headers=admin).json
    assert again == done and fake.calls_of("retrieve_setup").count(reference) == 2  # final: no more asking
    listed = client.get(f"/api/v1/PaymentMethods?customerId={customer_id}", headers=admin).json["data"]
    assert {m["id"] for m in listed} == {at_once.json["paymentMethodId"], done["paymentMethodId"]}

    declined = client.post(
        "/api/v1/SetupIntents", json=body | {"paymentMethodToken": "tok_chargeDeclined"}, headers=admin
    ).json
    assert declined["status"] == "failed" and declined["paymentMethodId"] is None
    stranger = tokens.token("payments:read payments:write", customer_id=known_customer(app))
    other = {"Authorization": f"Bearer {stranger}"}
    assert client.get(f"/api/v1/SetupIntents/{done['id']}", headers=other).status_code == 404


def sent_customer(fake: FakeProvider) -> str:
    """The provider customer the fake made (one per customer here)."""
    (customer,) = fake.customers
    return customer
