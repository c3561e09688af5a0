"""A customer shows its credit balance per currency as invoicing keeps it (CustomerBalanceChanged):
the balance after the latest movement by invoicing's count, so a redelivered or reordered event
never brings back an older balance."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient

from billing_devtools.testing.samples import envelope
from billing_shared.events import contracts
from billing_shared.events.catalog import TOPIC_INVOICES
from billing_shared.events.envelope import Envelope
from billing_shared.ids import new_id
from billing_shared.inbox.consumer import EventConsumer, bind
from billing_shared.web.context import deps_of
from customers.bootstrap import Deps
from customers.handlers import HANDLERS


def moved(customer_id: str, currency: str, amount: int, ending: int, count: int) -> Envelope:
    data = {
        "id": new_id("cbt"),
        "customerId": customer_id,
        "currency": currency,
        "amount": amount,
        "endingBalance": ending,
        "type": "invoice_credit" if amount > 0 else "applied_to_invoice",
        "invoiceId": new_id("in"),
        "subscriptionId": None,
        "createdAt": datetime.now(UTC).isoformat(),
        "version": count,
    }
    contracts.check("CustomerBalanceChanged", 1, data)
    return envelope("CustomerBalanceChanged", data, source="/invoicing", key=customer_id)


def test_the_latest_balance_per_currency_wins_whatever_order_the_events_arrive_in(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    deps = deps_of(app, Deps)
    consumer = EventConsumer(deps.db, None, None, name="customers", handlers=bind(HANDLERS, deps))
    customer = client.post(
        "/api/v1/Customers", json={"name": "Ann", "email": "a@example.com"}, headers=admin
    ).json
    assert customer["creditBalance"] == {}

    def shown() -> object:
        return client.get(f"/api/v1/Customers/{customer['id']}", headers=admin).json["creditBalance"]

    granted, used, yen = (
        moved(customer["id"], "USD", 2750, 2750, 1),
        moved(customer["id"], "USD", -1000, 1750, 2),
        moved(customer["id"], "JPY", 300, 300, 1),
    )
    assert consumer.apply(used, TOPIC_INVOICES) and shown() == {"USD": 1750}
    assert consumer.apply(granted, TOPIC_INVOICES) and shown() == {"USD": 1750}  # older: changes nothing
    assert consumer.apply(yen, TOPIC_INVOICES) and shown() == {"USD": 1750, "JPY": 300}
    listed = client.get("/api/v1/Customers?limit=100", headers=admin).json["data"]
    assert next(c for c in listed if c["id"] == customer["id"])["creditBalance"] == {"USD": 1750, "JPY": 300}
