"""Payments end to end, as a client sees them through the gateway, with the built-in test gateway
as the provider: an order paid with tok_visa (PaymentSucceeded on billing.payments, the order paid,
the customer knowing the intent), declines, refunds moving the order, disputes, one charge under 50
concurrent retries, mismatches that never reach the provider, webhook routes, reconciliation."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest
from helpers import Client

from billing_devtools.testing.kafka import TopicTail
from billing_shared.events import catalog
from billing_shared.events.envelope import Envelope
from payments.adapters.test_gateway import TestGatewayProvider

pytestmark = [pytest.mark.integration, pytest.mark.stack]


def unpaid_order(api: Client, unit_price: int = 2500, currency: str = "USD") -> dict[str, Any]:
    """A customer and a draft order for it, created at once (no waiting between the calls)."""
    product = api.call(
        "POST",
        "/Products",
        {
            "name": "Plan",
            "taxCategory": "standard",
            "prices": [{"currency": currency, "unitPrice": unit_price}],
        },
    )
    assert product.status_code == 201, product.text
    customer = api.call(
        "POST", "/Customers", {"name": "Payer", "email": f"p.{uuid.uuid4().hex[:8]}@example.com"}
    )
    assert customer.status_code == 201, customer.text
    order = api.call(
        "POST",
        "/Orders",
        {
            "customerId": customer.json()["id"],
            "currency": currency,
            "items": [{"productId": product.json()["id"], "quantity": 2}],
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert order.status_code == 201, order.text
    return dict(order.json())


def pay(api: Client, order: dict[str, Any], token: str = "tok_visa", **over: Any) -> Any:
    body = {
        "orderId": order["id"],
        "amount": order["total"],
        "currency": order["currency"],
        "paymentMethodToken": token,
    } | over
    return api.create_intent(body)


def eventually(check: Any, timeout: float = 30, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        assert time.monotonic() < deadline, f"not within {timeout}s: {what}"
        time.sleep(0.2)


def order_status(api: Client, order_id: str) -> str:
    return str(api.call("GET", f"/Orders/{order_id}").json()["status"])


def test_an_order_paid_with_tok_visa_is_paid_everywhere(api: Client, kafka_bootstrap: str) -> None:
    tail = TopicTail(kafka_bootstrap, catalog.TOPIC_PAYMENTS)
    try:
        order = unpaid_order(api)
        r = pay(api, order)  # right after the order's 201: payments waits for its projection
        assert r.status_code == 201, r.text
        pi = r.json()
        assert (pi["status"], pi["gatewayId"], pi["amount"], pi["currency"]) == (
            "succeeded",
            "test",
            order["total"],
            "USD",
        )
        records = tail.collect({pi["id"]}, 2, timeout=20)
    finally:
        tail.close()
    events = [Envelope.from_kafka(r.key, r.headers, r.value) for r in records]
    assert [e.type for e in events] == ["billing.PaymentIntentCreated.v2", "billing.PaymentSucceeded.v2"]
    succeeded = events[1].data
    assert (succeeded["paymentMethodToken"], succeeded["invoiceId"], succeeded["attempt"]) == (
        "tok_visa",
        None,
        None,
    )
    assert (succeeded["orderId"], succeeded["amount"], succeeded["gatewayReference"]) == (
        order["id"],
        order["total"],
        pi["gatewayReference"],
    )
    eventually(lambda: order_status(api, order["id"]) == "paid", what="order paid")
    paid = api.call("GET", f"/Orders/{order['id']}").json()
    assert paid["paymentIntentIds"] == [pi["id"]] and paid["allowedActions"] == ["refund"]
    refs = eventually(
        lambda: api.call("GET", f"/Customers/{order['customerId']}").json()["references"]["paymentIntents"],
        what="the customer records the intent",
    )
    assert refs == [pi["id"]]
    # paid: no second intent, and the order's projection soon says so too
    again = pay(api, order)
    assert again.status_code in (409, 422), again.text  # its live intent, or already paid
    assert pi["id"] in again.json()["detail"] or "already paid" in again.json()["detail"]


def test_a_declined_card_fails_with_a_reason_and_the_order_stays_payable(api: Client) -> None:
    order = unpaid_order(api)
    r = pay(api, order, "tok_chargeDeclined")
    assert r.status_code == 201 and r.json()["status"] == "failed", r.text
    assert r.json()["failureMessage"] and r.json()["failureCode"]
    ok = pay(api, order)
    assert ok.status_code == 201 and ok.json()["status"] == "succeeded", ok.text


def _psp(api: Client) -> TestGatewayProvider:
    env = api.platform.test_psp_env()
    return TestGatewayProvider(
        SimpleNamespace(
            test_psp_url=env["TEST_PSP_URL"],
            test_psp_api_key=env["TEST_PSP_API_KEY"],
            test_psp_webhook_secret=env["TEST_PSP_WEBHOOK_SECRET"],
        )
    )


def charges_of(api: Client, order_id: str) -> list[Any]:
    now = int(time.time())
    return [
        c
        for c in _psp(api).charges(created_from=now - 3600, created_to=now + 60)
        if c.metadata.get("orderId") == order_id
    ]


def test_a_mismatch_is_refused_and_never_reaches_the_test_gateway(api: Client) -> None:
    order = unpaid_order(api)
    for over, field in (({"amount": order["total"] - 1}, "amount"), ({"currency": "EUR"}, "currency")):
        r = pay(api, order, **over)
        assert r.status_code == 422 and r.headers["Content-Type"] == "application/problem+json", r.text
        assert field in [e["field"] for e in r.json()["errors"]]
    assert charges_of(api, order["id"]) == []


def test_fifty_concurrent_posts_with_one_key_make_one_intent_and_one_charge(api: Client) -> None:
    order = unpaid_order(api)
    body = {
        "orderId": order["id"],
        "amount": order["total"],
        "currency": "USD",
        "paymentMethodToken": "tok_visa",
    }
    key = {"Idempotency-Key": str(uuid.uuid4())}

    def post(_: int) -> tuple[int, str | None]:
        r = api.call("POST", "/PaymentIntents", body, headers=key)
        return r.status_code, r.json().get("id")

    with ThreadPoolExecutor(max_workers=25) as pool:
        results = list(pool.map(post, range(50)))
    assert {s for s, _ in results} <= {201, 409}, results
    ids = {i for s, i in results if s == 201}
    assert len(ids) == 1, results
    listed = api.call("GET", f"/PaymentIntents?orderId={order['id']}").json()["data"]
    assert [i["id"] for i in listed] == list(ids)
    assert len(charges_of(api, order["id"])) == 1


def test_partial_then_full_refund_moves_the_order(api: Client, kafka_bootstrap: str) -> None:
    order = unpaid_order(api)
    pi = pay(api, order).json()
    eventually(lambda: order_status(api, order["id"]) == "paid", what="order paid")
    part = api.call(
        "POST", "/Refunds", {"paymentIntentId": pi["id"], "amount": 1000, "reason": "requested_by_customer"}
    )
    assert part.status_code == 201 and part.json()["status"] == "succeeded", part.text
    eventually(lambda: order_status(api, order["id"]) == "partially_refunded", what="partially refunded")
    over = api.call(
        "POST", "/Refunds", {"paymentIntentId": pi["id"], "amount": order["total"], "reason": "duplicate"}
    )
    assert over.status_code == 422 and over.json()["errors"][0]["field"] == "amount", over.text
    rest = api.call("POST", "/Refunds", {"paymentIntentId": pi["id"], "reason": "requested_by_customer"})
    assert rest.status_code == 201 and rest.json()["amount"] == order["total"] - 1000, rest.text
    eventually(lambda: order_status(api, order["id"]) == "refunded", what="refunded")
    got = api.call("GET", f"/Orders/{order['id']}").json()
    assert got["amountRefunded"] == order["total"]
    assert api.call("GET", f"/PaymentIntents/{pi['id']}").json()["amountRefunded"] == order["total"]


def test_a_disputed_payment_raises_payment_disputed(api: Client, kafka_bootstrap: str) -> None:
    tail = TopicTail(kafka_bootstrap, catalog.TOPIC_PAYMENTS)
    try:
        order = unpaid_order(api)
        pi = pay(api, order, "tok_chargeDisputed").json()
        assert pi["status"] == "succeeded", pi
        deadline = time.monotonic() + 30
        disputed: list[Envelope] = []
        while not disputed and time.monotonic() < deadline:
            for r in tail.collect({pi["id"]}, 1, timeout=1):
                e = Envelope.from_kafka(r.key, r.headers, r.value)
                if e.type == "billing.PaymentDisputed.v2":
                    disputed.append(e)
    finally:
        tail.close()
    assert disputed, "no PaymentDisputed within 30 s"
    assert disputed[0].data["orderId"] == order["id"] and disputed[0].data["amount"] == order["total"]
    assert api.call("GET", f"/PaymentIntents/{pi['id']}").json()["disputed"] is True


def test_every_gateway_is_listed_with_its_webhook_route_and_unverified_deliveries_are_refused(
    api: Client,
) -> None:
    gateways = {g["id"]: g for g in api.call("GET", "/PaymentGateways").json()["data"]}
    assert gateways["test"]["enabled"] is True and "stripe" in gateways
    for gateway_id in gateways:
        r = api.http.post(
            f"{api.base}/api/v1/PaymentGateways/{gateway_id}/webhooks",
            data=b'{"id": "evt_forged", "type": "charge.succeeded"}',
            headers={"Content-Type": "application/json", "Test-Psp-Signature": "t=1,v1=00"},
            timeout=10,
        )
        assert r.status_code == 400 and r.headers["Content-Type"] == "application/problem+json", r.text
    r = api.http.post(f"{api.base}/api/v1/PaymentGateways/paypal/webhooks", data=b"{}", timeout=10)
    assert r.status_code == 404


def test_reconciliation_is_for_admins_and_compares_with_the_test_gateway(api: Client) -> None:
    pay(api, unpaid_order(api))
    today = time.strftime("%Y-%m-%d", time.gmtime())
    r = api.call("GET", f"/Reconciliation?date={today}")
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["gateways"] == ["test"] and report["summary"]["matched"] >= 1
    assert report["missingAtGateway"] == [] and report["amountMismatches"] == []
    reader = api.token_with("payments:read")
    assert api.call("GET", f"/Reconciliation?date={today}", token=reader).status_code == 403


def test_payments_resources_are_in_the_aggregated_openapi(api: Client) -> None:
    paths = api.http.get(api.base + "/api/v1/openapi.json", timeout=10).json()["paths"]
    for p in (
        "/api/v1/PaymentGateways",
        "/api/v1/PaymentGateways/{gateway_id}/webhooks",
        "/api/v1/PaymentIntents",
        "/api/v1/PaymentIntents/{intent_id}",
        "/api/v1/PaymentIntents/{intent_id}/capture",
        "/api/v1/PaymentIntents/{intent_id}/cancel",
        "/api/v1/Refunds",
        "/api/v1/Refunds/{refund_id}",
        "/api/v1/Reconciliation",
    ):
        assert p in paths, p
