"""Orders with a trial: they need a billing cycle and the customer's default payment method (as
payments last said, PaymentMethodDefaultChanged v2), cost nothing now (the zero trial invoice, paid
at once) and carry the plan's real prices for the subscription in OrderCreated v3; and the catalog
events invoicing prices subscription changes from."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from test_orders_api import know_customer, make_product, outbox

from billing_shared.events import contracts
from billing_shared.ids import new_id
from billing_shared.web.context import deps_of
from orders.service_layer import catalog, customers

pytestmark = pytest.mark.integration


def default_method(app: Flask, customer_id: str, method_id: str | None, count: int) -> None:
    data = {
        "customerId": customer_id,
        "paymentMethodId": method_id,
        "previousPaymentMethodId": None,
        "defaultVersion": count,
        "gatewayId": "test" if method_id else None,
    }
    contracts.check("PaymentMethodDefaultChanged", 2, data)
    db = deps_of(app).db
    with db.unit_of_work() as uow:
        customers.project_default_method(uow, data)
        uow.commit()


def trial_order(
    client: FlaskClient, admin: dict[str, str], customer_id: str, product: str, **over: object
) -> object:
    body = {
        "customerId": customer_id,
        "currency": "GBP",
        "items": [{"productId": product, "quantity": 2}],
        "billingCycleId": "bc_monthly",
        "trialDays": 14,
    } | over
    body = {k: v for k, v in body.items() if v is not None}
    return client.post("/api/v1/Orders", json=body, headers=admin | {"Idempotency-Key": uuid.uuid4().hex})


def test_a_trial_costs_nothing_now_and_carries_the_plan_for_later(
    client: FlaskClient, admin: dict[str, str], app: Flask
) -> None:
    cid = know_customer(app)
    plan = make_product(client, admin, 1500, billingCycleId="bc_monthly")
    method = new_id("pm")
    default_method(app, cid, method, 2)
    default_method(app, cid, None, 1)  # an older change arriving late changes nothing
    r = trial_order(client, admin, cid, plan)
    assert r.status_code == 201, r.json
    o = r.json
    assert (o["total"], o["status"]) == (0, "paid"), "the zero trial invoice needs no payment"
    assert [line["unitPrice"] for line in o["lines"]] == [0]
    assert (o["trial"]["days"], o["trial"]["paymentMethodId"], o["trial"]["planTotal"]) == (14, method, 3000)
    [created] = outbox(app, "billing.OrderCreated.v4")
    trial = created["trial"]
    assert trial["plan"]["total"] == 3000 and trial["plan"]["lines"][0]["unitPrice"] == 1500
    end = datetime.fromisoformat(trial["trialEnd"])
    assert abs(end - (datetime.now(UTC) + timedelta(days=14))) < timedelta(minutes=1)
    assert len(outbox(app, "billing.OrderPaid.v1")) == 1


def test_a_products_default_trial_applies_unless_the_order_says_otherwise(
    client: FlaskClient, admin: dict[str, str], app: Flask
) -> None:
    method = new_id("pm")
    cid = new_id("cus")
    default_method(app, cid, method, 1)  # payments' event may come before CustomerCreated
    know_customer(app, customer_id=cid)
    plan = make_product(client, admin, 1500, billingCycleId="bc_monthly", trialDays=30)
    assert client.get(f"/api/v1/Products/{plan}", headers=admin).json["trialDays"] == 30
    r = trial_order(client, admin, cid, plan, trialDays=None)
    assert r.status_code == 201 and r.json["trial"]["days"] == 30 and r.json["total"] == 0
    none = trial_order(client, admin, cid, plan, trialDays=0)
    assert none.status_code == 201 and none.json["trial"] is None and none.json["total"] == 3000
    one_off = client.post(
        "/api/v1/Products",
        json={
            "name": "x",
            "taxCategory": "standard",
            "prices": [{"currency": "GBP", "unitPrice": 1}],
            "trialDays": 7,
        },
        headers=admin,
    )
    assert one_off.status_code == 422 and one_off.json["errors"][0]["field"] == "trialDays"


@pytest.mark.parametrize("case", ["no cycle", "no default method", "default removed"])
def test_a_trial_without_a_cycle_or_a_default_method_is_refused_and_stores_nothing(
    client: FlaskClient, admin: dict[str, str], app: Flask, case: str
) -> None:
    cid = know_customer(app)
    cycle = None if case == "no cycle" else "bc_monthly"  # a one-off product, ordered without a cycle
    plan = make_product(client, admin, 1500, billingCycleId=cycle)
    if case == "default removed":
        default_method(app, cid, new_id("pm"), 1)
        default_method(app, cid, None, 2)
    over = {"billingCycleId": None} if case == "no cycle" else {}
    r = trial_order(client, admin, cid, plan, **over)
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    field = "trialDays" if case == "no cycle" else "customerId"
    assert r.json["errors"][0]["field"] == field
    assert outbox(app, "billing.OrderCreated.v4") == []


def test_products_and_tax_rules_are_published_for_other_services(
    client: FlaskClient, admin: dict[str, str], app: Flask
) -> None:
    product = make_product(client, admin, 1500, billingCycleId="bc_monthly")
    client.patch(
        f"/api/v1/Products/{product}",
        json={"prices": [{"currency": "GBP", "unitPrice": 1700}]},
        headers=admin,
    )
    rule = client.post(
        "/api/v1/TaxRules", json={"name": "VAT", "country": "GB", "rate": "0.2"}, headers=admin
    ).json
    client.patch(f"/api/v1/TaxRules/{rule['id']}", json={"active": False}, headers=admin)
    created, updated = outbox(app, "billing.ProductCreated.v1"), outbox(app, "billing.ProductUpdated.v1")
    assert [(p["id"], p["version"], p["prices"]) for p in created + updated] == [
        (product, 1, [{"currency": "GBP", "unitPrice": 1500}]),
        (product, 2, [{"currency": "GBP", "unitPrice": 1700}]),
    ]
    rules = outbox(app, "billing.TaxRuleCreated.v1") + outbox(app, "billing.TaxRuleUpdated.v1")
    assert [(t["id"], t["rate"], t["active"]) for t in rules] == [
        (rule["id"], "0.2", True),
        (rule["id"], "0.2", False),
    ]


def test_the_catalog_can_be_published_again_for_a_late_consumer(
    client: FlaskClient, admin: dict[str, str], app: Flask
) -> None:
    product = make_product(client, admin, 1500, billingCycleId="bc_monthly")
    rule = client.post(
        "/api/v1/TaxRules", json={"name": "VAT", "country": "FR", "rate": "0.2"}, headers=admin
    ).json
    db = deps_of(app).db
    with db.unit_of_work() as uow:
        count = catalog.republish_catalog(uow)
        uow.commit()
    again = outbox(app, "billing.ProductUpdated.v1")
    rules = outbox(app, "billing.TaxRuleUpdated.v1")
    assert count == len(again) + len(rules) >= 2
    assert [(p["id"], p["version"]) for p in again if p["id"] == product] == [(product, 1)]
    [copy] = [r for r in rules if r["id"] == rule["id"]]
    [first] = [r for r in outbox(app, "billing.TaxRuleCreated.v1") if r["id"] == rule["id"]]
    assert copy == first, "the same rule at the same moment: a consumer that knows it ignores it"


def test_an_orders_lines_keep_their_products_names_as_ordered(
    client: FlaskClient, admin: dict[str, str], app: Flask
) -> None:
    cid = know_customer(app)
    product = make_product(client, admin, 1500, name="Analytical Engine rental", description="per month")
    r = client.post(
        "/api/v1/Orders",
        json={"customerId": cid, "currency": "GBP", "items": [{"productId": product, "quantity": 1}]},
        headers=admin | {"Idempotency-Key": uuid.uuid4().hex},
    )
    assert r.status_code == 201, r.json
    [line] = r.json["lines"]
    assert (line["name"], line["description"]) == ("Analytical Engine rental", "per month")
    client.patch(f"/api/v1/Products/{product}", json={"name": "Difference Engine"}, headers=admin)
    [again] = client.get(f"/api/v1/Orders/{r.json['id']}", headers=admin).json["lines"]
    assert again["name"] == "Analytical Engine rental", "a rename never changes an issued order"
    [created] = [e for e in outbox(app, "billing.OrderCreated.v4") if e["id"] == r.json["id"]]
    assert created["lines"][0]["name"] == "Analytical Engine rental"
