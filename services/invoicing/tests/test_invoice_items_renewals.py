"""A one-off item joins the customer's next renewal in its currency (priced by the pricing rule
with the buyer's tax rule, charged with the period), once: a replayed billing run, the next period
and the customer's other subscriptions never invoice it again."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from invoice_items_testing import CATEGORY, add_item, customer, items_of, tax_rule
from subscriptions_testing import requested, run, start

PERIOD_TOTAL = 2 * 1999 + 500 + 2 * 400 + 100  # subscriptions_testing's plan, VAT 20 % on top


def renewals(client: FlaskClient, admin: dict[str, str], customer_id: str) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/Invoices?customerId={customer_id}&limit=100", headers=admin)
    return [i for i in r.json["data"] if i["billingReason"] == "subscription_cycle"]


def test_the_next_renewal_picks_the_item_up_once(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    cid = customer(app, "DE")
    tax_rule(app, "DE", "0.19", CATEGORY)
    _, sub = start(app, client, admin, customer_id=cid)
    fee = add_item(client, admin, cid, description="Einrichtungsgebühr", amount=5000)
    in_eur = add_item(client, admin, cid, description="Other currency", amount=700, currency="EUR")

    end = datetime.fromisoformat(sub["currentPeriodEnd"])
    report = run(client, admin, end + timedelta(minutes=1))
    assert report["invoiced"] == 1
    [renewal] = renewals(client, admin, cid)
    assert [x["name"] for x in renewal["lines"]][-1] == "Einrichtungsgebühr"
    assert (renewal["lines"][-1]["productId"], renewal["lines"][-1]["total"]) == (fee["id"], 5950)
    assert renewal["total"] == PERIOD_TOTAL + 5950
    assert requested(app)[-1]["amount"] == PERIOD_TOTAL + 5950  # charged with the period
    taken = client.get(f"/api/v1/InvoiceItems/{fee['id']}", headers=admin).json
    assert (taken["status"], taken["invoiceId"]) == ("invoiced", renewal["id"])
    assert [i["id"] for i in items_of(client, admin, cid, "pending")] == [in_eur["id"]]

    assert run(client, admin, end + timedelta(minutes=1))["invoiced"] == 0  # replayed: nothing again
    run(client, admin, end + timedelta(days=40))  # the next period
    later = renewals(client, admin, cid)
    assert len(later) == 2 and later[1]["total"] == PERIOD_TOTAL
    assert client.get(f"/api/v1/InvoiceItems/{fee['id']}", headers=admin).json["invoiceId"] == renewal["id"]


def test_of_two_subscriptions_billed_together_only_one_takes_the_item(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    cid = customer(app, "DE")
    _, first = start(app, client, admin, customer_id=cid)
    _, second = start(app, client, admin, customer_id=cid)
    fee = add_item(client, admin, cid, amount=5000, taxCategory=None)
    ends = [datetime.fromisoformat(s["currentPeriodEnd"]) for s in (first, second)]
    assert run(client, admin, max(ends) + timedelta(minutes=1))["invoiced"] == 2
    with_fee = [i for i in renewals(client, admin, cid) if fee["id"] in {x["productId"] for x in i["lines"]}]
    assert len(with_fee) == 1 and with_fee[0]["total"] == PERIOD_TOTAL + 5000
    assert (
        client.get(f"/api/v1/InvoiceItems/{fee['id']}", headers=admin).json["invoiceId"] == with_fee[0]["id"]
    )
