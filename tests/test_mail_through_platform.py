"""The automatic e-mails on the running platform, with the mail server down for a while and the
invoicing worker SIGKILLed meanwhile: a paid monthly order, its renewal declined through every
dunning attempt, then cancelled. Once the mail sink is back, `var/mail/` holds each expected mail
exactly once (the order's invoice and receipt, the renewal invoice, one reminder per failed attempt
with a hosted link that opens the invoice, the cancellation), and nothing else for that customer."""

from __future__ import annotations

import signal
import time
import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from helpers import Client
from test_invoice_documents_through_gateway import mails_to
from test_payments_through_gateway import eventually, pay
from test_subscriptions_through_gateway import billing_run, history, monthly_order, subscription_of

pytestmark = [pytest.mark.integration, pytest.mark.stack]

ATTEMPTS = 4  # the first charge and the retries after 1, 3 and 5 days (INVOICING_DUNNING_RETRY_DAYS)


def _plain(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def _pending_mail(api: Client, invoice_id: str) -> bool:
    sends = api.call("GET", f"/Invoices/{invoice_id}/sends").json()["data"]
    return any(s["status"] == "pending" and s["attempts"] >= 1 and s["lastError"] for s in sends)


def test_every_mail_arrives_once_after_the_mail_server_and_the_worker_went_down(api: Client) -> None:
    platform = api.platform
    api.mail_switched_on()
    platform.kill("mail-sink", signal.SIGTERM)
    try:
        order = monthly_order(api)
        assert pay(api, order).status_code == 201
        sub = subscription_of(api, order)
        email = api.call("GET", f"/Customers/{order['customerId']}").json()["email"]
        [first] = api.call("GET", f"/Invoices?orderId={order['id']}").json()["data"]
        eventually(lambda: _pending_mail(api, first["id"]), what="the invoice mail waiting for the server")

        declined = api.call(
            "PATCH", f"/Subscriptions/{sub['id']}", {"paymentMethodToken": "tok_chargeDeclined"}
        )
        assert declined.status_code == 200, declined.text
        end = datetime.fromisoformat(sub["currentPeriodEnd"])
        for attempt, days in enumerate((0, 1, 3, 5), start=1):
            billing_run(api, end + timedelta(days=days, minutes=1))
            eventually(
                lambda attempt=attempt: (
                    (rows := history(api, sub["id"]))
                    and rows[0]["attempts"] == attempt
                    and rows[0]["status"] in ("past_due", "uncollectible")
                ),
                timeout=60,
                what=f"attempt {attempt} declined",
            )
            if attempt == 2:
                platform.kill("invoicing-worker")  # SIGKILL with mail queued and unsent
                platform.spawn(platform.proc("invoicing-worker"))  # the mail sink stays down
        eventually(
            lambda: api.call("GET", f"/Subscriptions/{sub['id']}").json()["status"] == "canceled",
            what="cancelled after the last attempt",
        )
        renewal_id = history(api, sub["id"])[0]["invoiceId"]
        renewal = api.call("GET", f"/Invoices/{renewal_id}").json()
        assert mails_to(platform.var, email) == []  # nothing could be delivered yet
    finally:
        platform.restart_dead()  # the mail server is back

    expected = {
        f"Invoice {first['number']} from": 1,
        f"Receipt for invoice {first['number']} from": 1,
        f"Invoice {renewal['number']} from": 1,
        f"Payment of invoice {renewal['number']} failed": ATTEMPTS,
        "Your subscription with": 1,
    }

    def arrived() -> list[EmailMessage] | None:
        mails = mails_to(platform.var, email)
        return mails if len(mails) >= sum(expected.values()) else None

    mails = eventually(arrived, timeout=120, what="every mail once the server is back")
    subjects = [str(m["Subject"]) for m in mails]
    for start, count in expected.items():
        assert sum(s.startswith(start) for s in subjects) == count, (start, subjects)
    assert len(mails) == sum(expected.values()), subjects
    assert len({m["Message-ID"] for m in mails}) == len(mails)

    reminders = [m for m in mails if str(m["Subject"]).startswith("Payment of invoice")]
    link = next(line for line in _plain(reminders[0]).splitlines() if "/Invoices/hosted/" in line).strip()
    page = api.http.get(link, timeout=10)  # the link is the credential: no token
    assert page.status_code == 200 and renewal["number"] in page.text, link
    assert sum("last attempt" in _plain(m) for m in reminders) == 1  # they arrive in any order
    sends: list[dict[str, Any]] = api.call("GET", f"/Invoices/{renewal_id}/sends").json()["data"]
    assert [s["kind"] for s in sends if s["status"] == "sent"].count("payment_failed") == ATTEMPTS


def test_a_trial_ending_is_mailed_once_whatever_the_runs(api: Client) -> None:
    api.mail_switched_on()
    order = monthly_order(api)  # its customer and product; this order stays unpaid
    customer = order["customerId"]
    method = api.call(
        "POST",
        "/PaymentMethods",
        {"customerId": customer, "paymentMethodToken": "tok_visa", "gatewayId": "test", "setDefault": True},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert method.status_code == 201, method.text
    body = {
        "customerId": customer,
        "currency": "USD",
        "billingCycleId": "bc_monthly",
        "trialDays": 14,
        "items": [{"productId": order["lines"][0]["productId"], "quantity": 1}],
    }

    def trial_order() -> dict[str, Any] | None:
        r = api.call("POST", "/Orders", body, headers={"Idempotency-Key": str(uuid.uuid4())})
        assert r.status_code in (201, 503), r.text  # 503: the new default method not projected yet
        return dict(r.json()) if r.status_code == 201 else None

    trial = eventually(trial_order, what="the trial order")
    sub = subscription_of(api, trial)
    trial_end = datetime.fromisoformat(sub["trialEnd"])
    for days_before in (2, 1, 2):
        billing_run(api, trial_end - timedelta(days=days_before))
    email = api.call("GET", f"/Customers/{customer}").json()["email"]

    def warned() -> list[EmailMessage] | None:
        mails = [m for m in mails_to(api.platform.var, email) if "trial" in str(m["Subject"])]
        return mails or None

    [mail] = eventually(warned, what="the trial-ending mail")
    assert trial_end.strftime("%Y") in str(mail["Subject"]) and "your trial ends on" in _plain(mail)
    time.sleep(3)  # a second mail would have come by now: the worker sends every second
    assert len([m for m in mails_to(api.platform.var, email) if "trial" in str(m["Subject"])]) == 1
