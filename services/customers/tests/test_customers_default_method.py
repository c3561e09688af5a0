"""A customer shows the default payment method payments chose (PaymentMethodDefaultChanged): the
latest choice by payments' count, so a redelivered or reordered event never brings back an older
one, applied through the kit's inbox as the worker applies it."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from billing_devtools.testing.samples import envelope
from billing_shared.events import contracts
from billing_shared.events.catalog import TOPIC_PAYMENTS
from billing_shared.events.envelope import Envelope
from billing_shared.ids import new_id
from billing_shared.inbox.consumer import EventConsumer, bind
from billing_shared.web.context import deps_of
from customers.bootstrap import Deps
from customers.handlers import HANDLERS


def changed(customer_id: str, method: str | None, previous: str | None, count: int) -> Envelope:
    data = {
        "customerId": customer_id,
        "paymentMethodId": method,
        "previousPaymentMethodId": previous,
        "defaultVersion": count,
    }
    contracts.check("PaymentMethodDefaultChanged", 1, data)
    return envelope("PaymentMethodDefaultChanged", data, source="/payments", key=customer_id)


def test_the_latest_default_wins_whatever_order_the_events_arrive_in(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    deps = deps_of(app, Deps)
    consumer = EventConsumer(deps.db, None, None, name="customers", handlers=bind(HANDLERS, deps))
    customer = client.post(
        "/api/v1/Customers", json={"name": "Ann", "email": "a@example.com"}, headers=admin
    ).json
    assert customer["defaultPaymentMethodId"] is None
    first, second = new_id("pm"), new_id("pm")

    def shown() -> object:
        return client.get(f"/api/v1/Customers/{customer['id']}", headers=admin).json["defaultPaymentMethodId"]

    one, two, cleared = (
        changed(customer["id"], first, None, 1),
        changed(customer["id"], second, first, 2),
        changed(customer["id"], None, second, 3),
    )
    assert consumer.apply(two, TOPIC_PAYMENTS) and shown() == second
    assert consumer.apply(one, TOPIC_PAYMENTS) and shown() == second  # older: changes nothing
    assert not consumer.apply(two, TOPIC_PAYMENTS)  # redelivered: the inbox knows it
    etag = client.get(f"/api/v1/Customers/{customer['id']}", headers=admin).headers["ETag"]
    assert consumer.apply(cleared, TOPIC_PAYMENTS) and shown() is None
    # the customer changed: a client holding the old ETag is told so
    stale = admin | {"If-Match": etag}
    r = client.patch(f"/api/v1/Customers/{customer['id']}", json={"name": "Ann B"}, headers=stale)
    assert r.status_code == 412
