"""The attack suites' fixtures: the victim with a resource of every kind, and the attacker."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from helpers import Client
from security_kit import Attacker, Victim, customer_token, eventually, new_customer, new_order, ok, pay


@pytest.fixture(scope="session")
def victim(api: Client) -> Victim:
    once = ok(
        api.call(
            "POST",
            "/Products",
            {
                "name": "Sec plan",
                "taxCategory": "standard",
                "prices": [{"currency": "USD", "unitPrice": 2500}],
            },
        ),
        201,
    )
    monthly = ok(
        api.call(
            "POST",
            "/Products",
            {
                "name": "Sec monthly",
                "taxCategory": "standard",
                "billingCycleId": "bc_monthly",
                "prices": [{"currency": "USD", "unitPrice": 1500}],
            },
        ),
        201,
    )
    customer = new_customer(api, "Victim")
    order = new_order(api, customer["id"], once["id"])
    intent = pay(api, order)
    assert intent["status"] == "succeeded", intent
    refund = ok(
        api.call("POST", "/Refunds", {"paymentIntentId": intent["id"], "amount": 100, "reason": "duplicate"}),
        201,
    )
    invoice = eventually(
        lambda: (
            (d := api.call("GET", f"/Invoices?orderId={order['id']}").json()["data"])
            and d[0]["status"] == "paid"
            and d[0]
        ),
        what="the victim's invoice paid",
    )
    note = eventually(
        lambda: api.call("GET", f"/CreditNotes?invoiceId={invoice['id']}").json()["data"],
        what="the refund's credit note",
    )[0]
    sub_order = new_order(api, customer["id"], monthly["id"], cycle="bc_monthly")
    pay(api, sub_order)
    sub = eventually(
        lambda: (d := api.call("GET", f"/Subscriptions?orderId={sub_order['id']}").json()["data"]) and d[0],
        what="the victim's subscription",
    )
    # Bill the first renewal so a billing history exists (the period after is a month away, so
    # later billing runs of other suites never meet this subscription).
    end = datetime.fromisoformat(sub["currentPeriodEnd"])
    ok(api.call("POST", "/SubscriptionBillingRuns", {"asOf": (end + timedelta(minutes=5)).isoformat()}))
    history = eventually(
        lambda: api.call("GET", f"/SubscriptionBillingHistories?subscriptionId={sub['id']}").json()["data"],
        what="the victim's billing history",
    )[0]
    method = ok(
        api.call("POST", "/PaymentMethods", {"customerId": customer["id"], "paymentMethodToken": "tok_visa"}),
        201,
    )
    setup = ok(
        api.call("POST", "/SetupIntents", {"customerId": customer["id"], "paymentMethodToken": "tok_visa"}),
        201,
    )
    return Victim(
        customer=customer,
        payment_method=method,
        setup_intent=setup,
        order=order,
        intent=intent,
        refund=refund,
        invoice=invoice,
        credit_note=note,
        subscription=sub,
        history=history,
        token=customer_token(api, customer["id"]),
    )


@pytest.fixture(scope="session")
def attacker(api: Client, victim: Victim) -> Attacker:
    customer = new_customer(api, "Mallory")
    order = new_order(api, customer["id"], victim.order["lines"][0]["productId"])
    return Attacker(customer=customer, order=order, token=customer_token(api, customer["id"]))
