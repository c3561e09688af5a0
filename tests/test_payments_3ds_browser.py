"""3D Secure as a cardholder does it: the platform answers `requires_action` with the test gateway's
hosted page, a real (headless) Chromium opens it and clicks a button, and the result reaches payments
only through the gateway's signed webhook, so the client polls the intent until it settles."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from helpers import Client
from playwright.sync_api import BrowserContext
from test_payments_through_gateway import eventually, pay
from test_subscriptions_through_gateway import billing_run, history, monthly_order, subscription_of

from billing_devtools.testing.kafka import TopicTail
from billing_shared.events import catalog
from billing_shared.events.envelope import Envelope

pytestmark = [pytest.mark.integration, pytest.mark.stack]


def unpaid_order(api: Client, amount: int = 4999, currency: str = "EUR") -> dict[str, Any]:
    product = api.call(
        "POST",
        "/Products",
        {
            "name": "3DS plan",
            "taxCategory": "standard",
            "prices": [{"currency": currency, "unitPrice": amount}],
        },
    )
    assert product.status_code == 201, product.text
    customer = api.call(
        "POST",
        "/Customers",
        {
            "name": "Card Holder",
            "email": f"holder.{uuid.uuid4().hex[:8]}@example.com",
            "billingAddress": {"country": "IS", "city": "Reykjavik", "postalCode": "101", "line1": "1"},
        },
    )
    assert customer.status_code == 201, customer.text
    order = api.call(
        "POST",
        "/Orders",
        {
            "customerId": customer.json()["id"],
            "currency": currency,
            "items": [{"productId": product.json()["id"], "quantity": 1}],
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert order.status_code == 201, order.text
    return order.json()


def intent_needing_3ds(api: Client) -> dict[str, Any]:
    order = unpaid_order(api)
    r = api.call(
        "POST",
        "/PaymentIntents",
        {
            "orderId": order["id"],
            "amount": order["total"],
            "currency": order["currency"],
            "paymentMethodToken": "tok_threeDSecureRequired",
            "gatewayId": "test",
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert r.status_code == 201, r.text
    intent = r.json()
    assert intent["status"] == "requires_action", intent
    assert intent["nextAction"]["type"] == "three_ds"
    assert intent["nextAction"]["url"].startswith(f"http://127.0.0.1:{api.platform.ports.test_psp}/3ds/")
    return intent


def settled(api: Client, intent_id: str, timeout: float = 30) -> dict[str, Any]:
    """Poll as a client would, until the intent leaves requires_action (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        r = api.call("GET", f"/PaymentIntents/{intent_id}")
        assert r.status_code == 200, r.text
        if r.json()["status"] not in ("requires_action", "processing"):
            return r.json()
        assert time.monotonic() < deadline, f"intent still {r.json()['status']} after {timeout}s"
        time.sleep(0.2)


def answer_challenge(browser: BrowserContext, url: str, button: str) -> str:
    page = browser.new_page()
    page.goto(url)
    assert page.get_by_role("button", name="Complete authentication").is_visible()
    assert page.get_by_role("button", name="Fail authentication").is_visible()
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()
    return page.inner_text("body")


def wait_for_event(tail: TopicTail, key: str, event_type: str, timeout: float = 20) -> Envelope:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        for record in tail.collect({key}, 1, timeout=max(0.1, deadline - time.monotonic())):
            event = Envelope.from_kafka(record.key, record.headers, record.value)
            seen.append(event.type)
            if event.type == event_type:
                return event
    raise AssertionError(f"no {event_type} for {key} within {timeout}s; saw {seen}")


def test_completing_3ds_in_a_browser_makes_the_intent_succeed(api: Client, browser: BrowserContext) -> None:
    intent = intent_needing_3ds(api)
    text = answer_challenge(browser, intent["nextAction"]["url"], "Complete authentication")
    assert "Authentication complete, you may close this window" in text
    done = settled(api, intent["id"])
    assert done["status"] == "succeeded", done
    assert (done["amount"], done["currency"], done["orderId"]) == (
        intent["amount"],
        intent["currency"],
        intent["orderId"],
    )


def test_failing_3ds_in_a_browser_fails_the_intent_and_says_so(
    api: Client, browser: BrowserContext, kafka_bootstrap: str
) -> None:
    tail = TopicTail(kafka_bootstrap, catalog.TOPIC_PAYMENTS)
    try:
        intent = intent_needing_3ds(api)
        text = answer_challenge(browser, intent["nextAction"]["url"], "Fail authentication")
        assert "Authentication failed" in text
        done = settled(api, intent["id"])
        assert done["status"] == "failed", done
        event = wait_for_event(tail, intent["id"], "billing.PaymentFailed.v2")
    finally:
        tail.close()
    assert event.data["orderId"] == intent["orderId"]


def test_a_renewal_that_asked_for_3ds_is_paid_on_the_hosted_invoice_page(
    api: Client, browser: BrowserContext
) -> None:
    """The subscription's saved card asks for 3D Secure: the off-session renewal cannot complete
    it and the subscription goes past due; the customer opens the invoice's hosted page, presses
    Pay, completes 3D Secure on the gateway's page and lands back on the invoice, now paid; the
    subscription is active again and dunning has nothing left to retry."""
    order = monthly_order(api)
    pay(api, order)
    sub = subscription_of(api, order)
    card = api.call(
        "POST",
        "/PaymentMethods",
        {"customerId": sub["customerId"], "paymentMethodToken": "tok_threeDSecureRequired"},
    )
    assert card.status_code == 201, card.text
    assert api.call("PATCH", f"/Subscriptions/{sub['id']}", {"paymentMethodToken": card.json()["id"]}).ok
    billing_run(api, datetime.fromisoformat(sub["currentPeriodEnd"]) + timedelta(minutes=5))
    eventually(
        lambda: api.call("GET", f"/Subscriptions/{sub['id']}").json()["status"] == "past_due",
        timeout=30,
        what="the subscription past due",
    )
    (row,) = history(api, sub["id"])
    assert row["failureCode"] == "authentication_required", row
    invoice = api.call("GET", f"/Invoices/{row['invoiceId']}").json()
    assert invoice["status"] == "open" and invoice["hostedInvoiceUrl"], invoice

    page = browser.new_page()
    page.goto(invoice["hostedInvoiceUrl"])
    page.get_by_role("link", name="Pay this invoice").click()
    page.wait_for_load_state()
    assert "ending in" in page.inner_text("body")
    page.get_by_role("button", name="Pay").click()  # the saved card, preselected as the default
    page.wait_for_url(f"http://127.0.0.1:{api.platform.ports.test_psp}/3ds/**")
    page.get_by_role("button", name="Complete authentication").click()
    page.wait_for_url("**/api/v1/Invoices/hosted/**")  # back on the invoice

    eventually(
        lambda: api.call("GET", f"/Invoices/{invoice['id']}").json()["status"] == "paid",
        timeout=30,
        what="the renewal invoice paid",
    )
    eventually(
        lambda: api.call("GET", f"/Subscriptions/{sub['id']}").json()["status"] == "active",
        timeout=30,
        what="the subscription active again",
    )
    page.reload()
    assert "Pay this invoice" not in page.inner_text("body")
    assert history(api, sub["id"])[0]["status"] == "paid"
    paid = api.call("GET", f"/PaymentIntents?invoiceId={invoice['id']}&status=succeeded").json()["data"]
    assert len(paid) == 1 and paid[0]["offSession"] is False


def test_a_setup_intent_with_3ds_completed_in_a_browser_saves_the_card(
    api: Client, browser: BrowserContext
) -> None:
    """A card saved without a charge: its bank asks for 3D Secure, the customer completes it on the
    test gateway's page, and the setup intent, read again, has saved it as a payment method."""
    customer = api.call(
        "POST", "/Customers", {"name": "Saver", "email": f"saver.{uuid.uuid4().hex[:8]}@example.com"}
    )
    assert customer.status_code == 201, customer.text
    r = api.call(
        "POST",
        "/SetupIntents",
        {"customerId": customer.json()["id"], "paymentMethodToken": "tok_threeDSecureRequired"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert r.status_code == 201, r.text
    setup = r.json()
    assert setup["status"] == "requires_action" and setup["paymentMethodId"] is None
    text = answer_challenge(browser, setup["nextAction"]["url"], "Complete authentication")
    assert "Authentication complete" in text
    done = api.call("GET", f"/SetupIntents/{setup['id']}").json()
    assert done["status"] == "succeeded" and done["paymentMethodId"], done
    method = api.call("GET", f"/PaymentMethods/{done['paymentMethodId']}").json()
    assert (method["customerId"], method["last4"]) == (customer.json()["id"], "3155")
