"""The e-mails people expect, sent without a /send call: a finalized invoice with its PDF, a
receipt, one reminder per failed renewal charge with the link to pay, a trial ending, a
subscription cancelled. Each cause mails once (replays and repeated runs add nothing), in the
customer's language, and a mail server that is down delays mail without losing any."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from documents_testing import (
    Inbox,
    attachment,
    closed_port,
    customer_created,
    mail_through,
    paid_invoice,
    pdf_text,
    smtp_inbox,
)
from flask import Flask
from flask.testing import FlaskClient
from invoicing_testing import deliver, event, named_order_created, payment_succeeded
from subscriptions_testing import answer, requested, run, start
from test_subscription_trials import trial_order

from billing_shared.web.context import deps_of
from invoicing.bootstrap import Deps
from invoicing.service_layer import mail_sender


def send(app: Flask, at: datetime | None = None) -> int:
    """One pass of the worker's mail sender (at `at`: later tries come due)."""
    return mail_sender.send_due(deps_of(app, Deps), now=at)


def subjects(inbox: Inbox) -> list[str]:
    return [str(msg["Subject"]) for _, _, msg in inbox.messages]


def sends(client: FlaskClient, admin: dict[str, str], invoice_id: str) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/Invoices/{invoice_id}/sends", headers=admin)
    assert r.status_code == 200, r.json
    data: list[dict[str, Any]] = r.json["data"]
    return data


def plain(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_a_paid_orders_invoice_is_mailed_with_its_pdf_then_receipted_once(
    app: Flask, client: FlaskClient, admin: dict[str, str], inbox: Inbox
) -> None:
    paid = paid_invoice(app, client, admin)
    number = paid.invoice["number"]
    assert send(app) == 2
    assert subjects(inbox) == [
        f"Invoice {number} from Billing Demo Ltd",
        f"Receipt for invoice {number} from Billing Demo Ltd",
    ]
    (_, rcpts, invoice_mail), (_, _, receipt) = inbox.messages
    assert rcpts == ["ada@example.com"] and invoice_mail["Message-ID"] and receipt["Message-ID"]
    name, pdf = attachment(invoice_mail)
    assert name == f"{number}.pdf" and number in pdf_text(pdf)
    assert "/api/v1/Invoices/hosted/" in plain(invoice_mail) and invoice_mail.get_body(("html",)) is not None
    assert "Analytical Engine rental" in plain(invoice_mail)  # the line's product name
    assert not list(receipt.iter_attachments()) and "$53.98" in plain(receipt)

    deliver(app, event("PaymentSucceeded", payment_succeeded(paid.order), "/payments"))  # a replay
    assert send(app) == 0 and send(app, datetime.now(UTC) + timedelta(days=1)) == 0
    assert len(inbox.messages) == 2
    recorded = sends(client, admin, paid.invoice["id"])
    assert [(s["kind"], s["status"]) for s in recorded] == [("invoice", "sent"), ("receipt", "sent")]
    assert {s["messageId"] for s in recorded} == {m["Message-ID"] for _, _, m in inbox.messages}
    shown = client.get(f"/api/v1/Invoices/{paid.invoice['id']}", headers=admin).json
    assert shown["sentTo"] == "ada@example.com" and shown["sentAt"]


def test_a_german_customer_reads_german_documents_and_mail(
    app: Flask, client: FlaskClient, admin: dict[str, str], inbox: Inbox
) -> None:
    customer = customer_created(preferredLocale="de", name="Greta Beispiel")
    deliver(app, event("CustomerCreated", customer, "/customers", version=2))
    client.patch("/api/v1/InvoiceSettings", json={"footer": "Vielen Dank für Ihren Einkauf"}, headers=admin)
    order = named_order_created(customer_id=customer["id"])
    deliver(app, event("OrderCreated", order, version=4))
    deliver(app, event("PaymentSucceeded", payment_succeeded(order), "/payments"))
    [inv] = client.get(f"/api/v1/Invoices?orderId={order['id']}", headers=admin).json["data"]
    text = pdf_text(client.get(f"/api/v1/Invoices/{inv['id']}/pdf", headers=admin).data)
    for german in (
        "Rechnung",
        "Rechnungsnummer",
        "Gesamt",
        "BEZAHLT",
        "53,98",
        "Vielen Dank für Ihren Einkauf",
    ):
        assert german in text, german
    page = client.get(inv["hostedInvoiceUrl"].split("8080", 1)[-1]).data.decode()
    assert '<html lang="de">' in page and "Rechnungsempfänger" in page and "Analytical Engine rental" in page
    assert send(app) == 2
    msg = inbox.messages[0][2]
    assert str(msg["Subject"]) == f"Rechnung {inv['number']} von Billing Demo Ltd"
    assert msg["Content-Language"] == "de" and "Hallo Greta Beispiel," in plain(msg)
    assert "Fällig" not in plain(msg)  # paid: no due date
    assert str(inbox.messages[1][2]["Subject"]).startswith("Zahlungsbestätigung")


def test_mail_waits_for_a_server_that_is_down_and_goes_once_it_is_back(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    mail_through(app, f"smtp://127.0.0.1:{closed_port()}")
    paid = paid_invoice(app, client, admin)
    assert send(app) == 0
    waiting = sends(client, admin, paid.invoice["id"])
    assert [(s["status"], s["attempts"]) for s in waiting] == [("pending", 1), ("pending", 1)]
    assert "connection refused" in waiting[0]["lastError"] and waiting[0]["nextAttemptAt"]
    now = datetime.now(UTC)
    assert send(app, now + timedelta(seconds=6)) == 0  # still down: the wait doubles
    assert [s["attempts"] for s in sends(client, admin, paid.invoice["id"])] == [2, 2]
    for box in smtp_inbox():
        mail_through(app, box.url)
        assert send(app, now + timedelta(seconds=7)) == 0  # not due yet
        assert send(app, now + timedelta(seconds=20)) == 2
        assert send(app, now + timedelta(minutes=30)) == 0
        assert len(box.messages) == 2 and len({m["Message-ID"] for _, _, m in box.messages}) == 2


def test_a_mail_switched_off_is_skipped(
    app: Flask, client: FlaskClient, admin: dict[str, str], inbox: Inbox
) -> None:
    r = client.patch("/api/v1/InvoiceSettings", json={"mail": {"receipt": False}}, headers=admin)
    assert r.status_code == 200
    paid = paid_invoice(app, client, admin)
    assert send(app) == 1 and subjects(inbox)[0].startswith("Invoice ")
    assert [(s["kind"], s["status"]) for s in sends(client, admin, paid.invoice["id"])] == [
        ("invoice", "sent"),
        ("receipt", "skipped"),
    ]


def test_renewal_reminders_one_per_failed_attempt_then_the_cancellation(
    app: Flask, client: FlaskClient, admin: dict[str, str], inbox: Inbox
) -> None:
    customer = customer_created()
    deliver(app, event("CustomerCreated", customer, "/customers"))
    _, sub = start(app, client, admin, customer_id=customer["id"])
    end = datetime.fromisoformat(sub["currentPeriodEnd"])
    assert run(client, admin, end + timedelta(minutes=1))["invoiced"] == 1
    [renewal] = client.get(f"/api/v1/Invoices?subscriptionId={sub['id']}", headers=admin).json["data"]
    send(app)
    inbox.messages.clear()
    for attempt in range(1, 5):  # the first charge and the three retries of (1, 3, 5) days
        request = requested(app)[-1]
        assert request["attempt"] == attempt
        answer(app, request, ok=False)
        answer(app, request, ok=False)  # the same answer again: no second reminder
        send(app)
        if attempt < 4:
            run(client, admin, end + timedelta(days=(1, 3, 5)[attempt - 1], minutes=2))
    failed = [m for _, _, m in inbox.messages if "failed" in str(m["Subject"])]
    assert len(failed) == 4, subjects(inbox)
    assert all(renewal["number"] in str(m["Subject"]) for m in failed)
    assert "We will try again on" in plain(failed[0]) and "/api/v1/Invoices/hosted/" in plain(failed[0])
    assert "last attempt" in plain(failed[-1])
    cancelled = [m for _, _, m in inbox.messages if "cancelled" in str(m["Subject"])]
    assert len(cancelled) == 1 and "could not be paid" in plain(cancelled[0])
    kinds = [s["kind"] for s in sends(client, admin, renewal["id"])]
    assert kinds.count("payment_failed") == 4


def test_a_trial_ending_is_mailed_once(
    app: Flask, client: FlaskClient, admin: dict[str, str], inbox: Inbox
) -> None:
    order = trial_order()
    deliver(app, event("CustomerCreated", customer_created(order["customerId"]), "/customers"))
    deliver(app, event("OrderCreated", order, version=3))
    from invoicing_testing import order_paid_free

    deliver(app, event("OrderPaid", order_paid_free(order)))
    trial_end = datetime.fromisoformat(order["trial"]["trialEnd"])
    for days_before in (2, 1):
        run(client, admin, trial_end - timedelta(days=days_before))
        send(app)
    ending = [m for _, _, m in inbox.messages if "trial" in str(m["Subject"])]
    assert len(ending) == 1, subjects(inbox)
    assert "your trial ends on" in plain(ending[0])
