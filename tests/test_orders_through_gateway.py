"""Orders end to end: a client creates a customer and orders for it at once, through the gateway;
a subscriber reads OrderCreated with exactly the totals the client was shown."""

from __future__ import annotations

import uuid

import pytest
from helpers import Client

from billing_devtools.testing.kafka import TopicTail
from billing_shared.events import catalog
from billing_shared.events.envelope import Envelope

pytestmark = [pytest.mark.integration, pytest.mark.stack]


def test_order_right_after_its_customer_and_the_event_carries_the_same_totals(
    api: Client, kafka_bootstrap: str
) -> None:
    region = f"R{uuid.uuid4().hex[:6]}"  # a scope of our own, so reruns never collide on tax rules
    rule = api.call(
        "POST", "/TaxRules", {"name": "State tax", "country": "US", "region": region, "rate": "0.0725"}
    )
    assert rule.status_code == 201, rule.text
    product = api.call(
        "POST",
        "/Products",
        {"name": "Plan", "taxCategory": "standard", "prices": [{"currency": "USD", "unitPrice": 1999}]},
    )
    assert product.status_code == 201, product.text
    code = f"TEN{uuid.uuid4().hex[:6]}"
    assert api.call("POST", "/Coupons", {"code": code, "percentOff": "10"}).status_code == 201

    tail = TopicTail(kafka_bootstrap, catalog.TOPIC_ORDERS)
    try:
        customer = api.call(
            "POST",
            "/Customers",
            {
                "name": "Quick",
                "email": f"q.{uuid.uuid4().hex[:8]}@example.com",
                "billingAddress": {
                    "country": "US",
                    "region": region,
                    "city": "X",
                    "postalCode": "1",
                    "line1": "1",
                },
            },
        ).json()
        order = api.call(
            "POST",
            "/Orders",
            {
                "customerId": customer["id"],
                "currency": "USD",
                "couponCode": code,
                "items": [{"productId": product.json()["id"], "quantity": 3}],
            },
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert order.status_code == 201, order.text
        o = order.json()
        [record] = tail.collect({o["id"]}, 1, timeout=10)
    finally:
        tail.close()
    # 3 × 19.99 = 59.97; 10 % = 5.997 → 6.00; tax 7.25 % of 53.97 = 3.912825 → 3.91
    assert (o["subtotal"], o["discountTotal"], o["taxTotal"], o["total"]) == (5997, 600, 391, 5788)
    event = Envelope.from_kafka(record.key, record.headers, record.value)
    assert event.type == "billing.OrderCreated.v4" and record.key.decode() == o["id"]
    for k in ("subtotal", "discountTotal", "taxTotal", "total", "currency", "customerId"):
        assert event.data[k] == o[k], k
    assert [(line["tax"], line["total"]) for line in event.data["lines"]] == [(391, 5788)]


def test_catalog_and_orders_need_their_scopes(api: Client) -> None:
    narrow = api.token_with("catalog:read")
    assert api.call("GET", "/Currencies", token=narrow).status_code == 200
    assert api.call("GET", "/Orders", token=narrow).status_code == 403
    assert api.call("POST", "/Products", {"name": "x"}, token=narrow).status_code == 403


def test_orders_resources_are_in_the_aggregated_openapi(api: Client) -> None:
    paths = api.http.get(api.base + "/api/v1/openapi.json", timeout=10).json()["paths"]
    for p in (
        "/api/v1/Orders",
        "/api/v1/Orders/{order_id}/cancel",
        "/api/v1/Products",
        "/api/v1/TaxRules",
        "/api/v1/Coupons",
        "/api/v1/Coupons/validate",
        "/api/v1/Currencies",
        "/api/v1/BillingCycles",
    ):
        assert p in paths, p
