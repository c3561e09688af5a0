"""IDOR: a customer-role token against every resource of another customer of the same merchant.
Another customer's things do not exist for it (404, lists empty or filtered to its own); what only
the merchant may do (billing runs, reconciliation, finalize/void/write off/send, refunds, capture,
gateway switches, minting customer tokens) is 403. The victim's own token reads the same URLs
(200), so every 404 below is the access rule, not a wrong URL."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import Client
from security_kit import Attacker, Victim, report

pytestmark = [pytest.mark.integration, pytest.mark.stack]


def item_urls(v: Victim) -> list[str]:
    return [
        f"/Customers/{v.customer['id']}",
        f"/PaymentMethods/{v.payment_method['id']}",
        f"/SetupIntents/{v.setup_intent['id']}",
        f"/Orders/{v.order['id']}",
        f"/PaymentIntents/{v.intent['id']}",
        f"/Refunds/{v.refund['id']}",
        f"/Invoices/{v.invoice['id']}",
        f"/Invoices/{v.invoice['id']}/pdf",
        f"/CreditNotes/{v.credit_note['id']}",
        f"/CreditNotes/{v.credit_note['id']}/pdf",
        f"/Subscriptions/{v.subscription['id']}",
    ]


def test_the_victims_own_token_reads_every_one_of_its_resources(api: Client, victim: Victim) -> None:
    for url in item_urls(victim):
        r = api.call("GET", url, token=victim.token)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
    rows = api.call(
        "GET", f"/SubscriptionBillingHistories?subscriptionId={victim.subscription['id']}", token=victim.token
    ).json()["data"]
    assert [h["id"] for h in rows] == [victim.history["id"]]


def test_another_customers_resources_are_404(api: Client, victim: Victim, attacker: Attacker) -> None:
    wrong = []
    for url in item_urls(victim):
        r = api.call("GET", url, token=attacker.token)
        if r.status_code != 404 or r.headers.get("Content-Type") != "application/problem+json":
            wrong.append((url, r.status_code, r.text[:200]))
        elif victim.customer["id"] in r.text and "Customers" not in url:
            wrong.append((url, "404 names the victim", r.text[:200]))
    assert not wrong, report(wrong)


def ids(r: Any) -> set[str]:
    assert r.status_code == 200, (r.url, r.status_code, r.text[:300])
    return {str(row["id"]) for row in r.json()["data"]}


def test_lists_show_only_the_callers_own(api: Client, victim: Victim, attacker: Attacker) -> None:
    v, cid = victim, victim.customer["id"]
    theirs = {
        v.customer["id"],
        v.payment_method["id"],
        v.setup_intent["id"],
        v.order["id"],
        v.intent["id"],
        v.refund["id"],
        v.invoice["id"],
        v.credit_note["id"],
        v.subscription["id"],
        v.history["id"],
    }
    lists = [
        "/Customers",
        f"/Customers?email={v.customer['email']}",
        "/PaymentMethods",
        f"/PaymentMethods?customerId={cid}",
        "/SetupIntents",
        f"/SetupIntents?customerId={cid}",
        "/Orders",
        f"/Orders?customerId={cid}",
        "/PaymentIntents",
        f"/PaymentIntents?orderId={v.order['id']}",
        "/Refunds",
        f"/Refunds?paymentIntentId={v.intent['id']}",
        "/Invoices",
        f"/Invoices?customerId={cid}",
        f"/Invoices?orderId={v.order['id']}",
        "/CreditNotes",
        f"/CreditNotes?invoiceId={v.invoice['id']}",
        f"/CreditNotes?customerId={cid}",
        "/Subscriptions",
        f"/Subscriptions?customerId={cid}",
        f"/Subscriptions?orderId={v.order['id']}",
        "/SubscriptionBillingHistories",
        f"/SubscriptionBillingHistories?subscriptionId={v.subscription['id']}",
        f"/SubscriptionBillingHistories?customerId={cid}",
    ]
    leaks = {}
    for url in lists:
        r = api.call("GET", url, token=attacker.token)
        if r.status_code != 200:
            leaks[url] = f"{r.status_code} {r.text[:200]}"
        elif seen := ids(r) & theirs:
            leaks[url] = f"shows {sorted(seen)}"
        elif cid in r.text:
            leaks[url] = "names the victim"
    assert not leaks, report(leaks)
    assert attacker.customer["id"] in ids(api.call("GET", "/Customers", token=attacker.token))
    assert attacker.order["id"] in ids(api.call("GET", "/Orders", token=attacker.token))


def test_writes_on_another_customers_resources_change_nothing(
    api: Client, victim: Victim, attacker: Attacker
) -> None:
    v, t = victim, attacker.token
    attempts: list[tuple[str, str, Any, tuple[int, ...]]] = [
        ("PATCH", f"/Customers/{v.customer['id']}", {"name": "Owned"}, (404,)),
        ("POST", f"/Orders/{v.order['id']}/cancel", None, (404,)),
        ("DELETE", f"/PaymentMethods/{v.payment_method['id']}", None, (404,)),
        (
            "PATCH",
            f"/Subscriptions/{v.subscription['id']}",
            {"paymentMethodToken": "tok_chargeDeclined"},
            (404,),
        ),
        ("POST", f"/PaymentMethods/{v.payment_method['id']}/default", None, (404,)),
        # A customer may cancel its own subscription at the period's end: another's is not found.
        ("POST", f"/Subscriptions/{v.subscription['id']}/cancel", {"atPeriodEnd": True}, (404,)),
        ("POST", f"/Subscriptions/{v.subscription['id']}/cancel", None, (404,)),
        # Someone else's saved card cannot pay the attacker's order, nor be saved for the victim.
        (
            "POST",
            "/PaymentIntents",
            {
                "orderId": attacker.order["id"],
                "amount": attacker.order["total"],
                "currency": "USD",
                "paymentMethodId": v.payment_method["id"],
            },
            (422,),
        ),
        (
            "POST",
            "/PaymentMethods",
            {"customerId": v.customer["id"], "paymentMethodToken": "tok_visa"},
            (422,),
        ),
        ("POST", f"/PaymentIntents/{v.intent['id']}/cancel", None, (403, 404)),
        ("POST", f"/PaymentIntents/{v.intent['id']}/capture", None, (403, 404)),
        # Someone else's customer or order is unknown to this caller: 422 naming the field.
        (
            "POST",
            "/Orders",
            {
                "customerId": v.customer["id"],
                "currency": "USD",
                "items": [{"productId": v.order["lines"][0]["productId"], "quantity": 1}],
            },
            (422,),
        ),
        (
            "POST",
            "/PaymentIntents",
            {
                "orderId": v.order["id"],
                "amount": v.order["total"],
                "currency": "USD",
                "paymentMethodToken": "tok_visa",
            },
            (422,),
        ),
        ("POST", "/Invoices", {"orderId": v.order["id"]}, (403, 422)),
    ]
    wrong = []
    for method, url, body, want in attempts:
        r = api.call(method, url, body, token=t, headers={"Idempotency-Key": f"idor-{method}-{url}"})
        if r.status_code not in want or r.headers.get("Content-Type") != "application/problem+json":
            wrong.append((method, url, r.status_code, r.text[:200]))
    assert not wrong, report(wrong)
    assert api.call("GET", f"/Customers/{v.customer['id']}").json()["name"] == v.customer["name"]
    assert api.call("GET", f"/PaymentMethods/{v.payment_method['id']}").json() == v.payment_method
    victims_methods = api.call("GET", f"/PaymentMethods?customerId={v.customer['id']}").json()["data"]
    assert {m["id"] for m in victims_methods} == {v.payment_method["id"], v.setup_intent["paymentMethodId"]}
    assert api.call("GET", f"/PaymentIntents?orderId={attacker.order['id']}").json()["data"] == []
    assert api.call("GET", f"/PaymentIntents/{v.intent['id']}").json()["status"] == "succeeded"
    assert api.call("GET", f"/PaymentIntents?orderId={v.order['id']}").json()["data"] == [
        api.call("GET", f"/PaymentIntents/{v.intent['id']}").json()
    ]


def test_merchant_only_routes_are_403_for_a_customer_token(
    api: Client, victim: Victim, attacker: Attacker
) -> None:
    v = victim
    routes: list[tuple[str, str, Any]] = [
        ("GET", "/Reconciliation?date=2026-01-01", None),
        ("POST", "/SubscriptionBillingRuns", {"asOf": "2030-01-01T00:00:00+00:00"}),
        ("POST", f"/Invoices/{v.invoice['id']}/finalize", None),
        ("POST", f"/Invoices/{v.invoice['id']}/void", None),
        ("POST", f"/Invoices/{v.invoice['id']}/mark-uncollectible", None),
        ("POST", f"/Invoices/{v.invoice['id']}/send", None),
        ("PUT", f"/Invoices/{v.invoice['id']}", {"status": "sent"}),
        ("GET", f"/InvoiceItems?customerId={v.customer['id']}", None),
        (
            "POST",
            "/InvoiceItems",
            {"customerId": v.customer["id"], "description": "x", "amount": 100, "currency": "USD"},
        ),
        ("POST", "/Invoices", {"customerId": v.customer["id"], "includePendingItems": True}),
        ("GET", "/InvoiceSettings", None),
        ("PATCH", "/InvoiceSettings", {"footer": "hijacked"}),
        ("DELETE", "/InvoiceSettings/logo", None),
        ("POST", f"/Subscriptions/{v.subscription['id']}/cancel", {"atPeriodEnd": False, "prorate": True}),
        (
            "PATCH",
            f"/Subscriptions/{v.subscription['id']}",
            {"items": [{"productId": "prod_x", "quantity": 1}]},
        ),
        ("POST", "/Refunds", {"paymentIntentId": v.intent["id"], "reason": "fraudulent"}),
        ("PATCH", "/PaymentGateways/test", {"enabled": False}),
        ("POST", "/Products", {"name": "x", "taxCategory": "standard", "prices": []}),
        ("POST", "/Customers", {"name": "x", "email": "x@example.com"}),
        ("POST", "/Auth/customer-tokens", {"customerId": v.customer["id"]}),
    ]
    wrong = []
    # The attacker's token, and even the victim's own: these are the merchant's decisions.
    for token in (attacker.token, v.token):
        for method, url, body in routes:
            r = api.call(method, url, body, token=token)
            if r.status_code != 403 or r.headers.get("Content-Type") != "application/problem+json":
                wrong.append((method, url, r.status_code, r.text[:200]))
    assert not wrong, report(wrong)
    assert api.call("GET", f"/Invoices/{v.invoice['id']}").json()["status"] == "paid"
    sub = api.call("GET", f"/Subscriptions/{v.subscription['id']}").json()
    assert sub["status"] == "active" and sub["paymentMethodToken"] == "tok_visa"
    assert api.call("GET", "/PaymentGateways/test").json()["enabled"] is True
    assert [
        r["id"] for r in api.call("GET", f"/Refunds?paymentIntentId={v.intent['id']}").json()["data"]
    ] == [v.refund["id"]]
