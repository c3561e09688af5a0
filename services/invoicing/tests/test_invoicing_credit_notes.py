"""Refunds and disputes of an invoice's payment: one credit note per refund in the CN series (v1 and
v2 events, replay-safe), GET /CreditNotes (+ PDF), the dispute flag; a customer sees only its own."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from documents_testing import customer_created, outbox_events, paid_invoice, pdf_text, refunded, versioned
from flask import Flask
from flask.testing import FlaskClient
from invoicing_testing import deliver

from invoicing.domain.formatting import format_money

YEAR = datetime.now(UTC).year


def test_a_refund_issues_a_numbered_credit_note_once(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    paid = paid_invoice(app, client, admin)
    inv = paid.invoice
    first = refunded(paid, 1000, 1000)
    deliver(app, first)
    deliver(app, first)  # the same event again
    same_refund = versioned("PaymentRefunded", 1, first.data)  # the same refund under a new event id
    deliver(app, same_refund)
    listed = client.get(f"/api/v1/CreditNotes?invoiceId={inv['id']}", headers=admin).json
    assert listed["hasMore"] is False and len(listed["data"]) == 1
    note = listed["data"][0]
    assert note["number"] == f"CN-{YEAR}-000001" and note["id"].startswith("cn_")
    assert (note["invoiceId"], note["invoiceNumber"], note["amount"], note["refundId"]) == (
        inv["id"],
        inv["number"],
        1000,
        first.data["refundId"],
    )
    assert client.get(f"/api/v1/Invoices/{inv['id']}", headers=admin).json["amountRefunded"] == 1000

    second = refunded(paid, 500, 1500)
    deliver(app, second)
    notes = client.get(f"/api/v1/CreditNotes?customerId={inv['customerId']}", headers=admin).json["data"]
    assert [n["number"] for n in notes] == [f"CN-{YEAR}-000001", f"CN-{YEAR}-000002"]
    assert client.get(f"/api/v1/Invoices/{inv['id']}", headers=admin).json["amountRefunded"] == 1500
    issued = outbox_events(app, "CreditNoteIssued")
    assert [(e["number"], e["amount"], e["invoiceNumber"]) for e in issued] == [
        (f"CN-{YEAR}-000001", 1000, inv["number"]),
        (f"CN-{YEAR}-000002", 500, inv["number"]),
    ]

    one = client.get(f"/api/v1/CreditNotes/{note['id']}", headers=admin)
    assert one.status_code == 200 and one.json == note
    pdf = client.get(f"/api/v1/CreditNotes/{note['id']}/pdf", headers=admin)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert text.startswith("Credit note") and f"CN-{YEAR}-000001" in text and inv["number"] in text
    assert format_money(1000, "USD", "en_US") in text and "Ada Lovelace" in text


def test_a_v2_refund_names_the_invoice_and_may_have_no_order(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    paid = paid_invoice(app, client, admin)
    deliver(app, refunded(paid, paid.invoice["total"], paid.invoice["total"], v2=True))
    notes = client.get(f"/api/v1/CreditNotes?invoiceId={paid.invoice['id']}", headers=admin).json["data"]
    assert len(notes) == 1 and notes[0]["amount"] == paid.invoice["total"]
    text = pdf_text(client.get(f"/api/v1/CreditNotes/{notes[0]['id']}/pdf", headers=admin).data)
    assert format_money(paid.invoice["total"], "USD", "en_US") in text and "Tax 20%" in text


def test_a_customer_sees_only_its_own_credit_notes(
    app: Flask, client: FlaskClient, admin: dict[str, str], bearer: Any
) -> None:
    paid = paid_invoice(app, client, admin)
    deliver(app, refunded(paid, 100, 100))
    note = client.get(f"/api/v1/CreditNotes?invoiceId={paid.invoice['id']}", headers=admin).json["data"][0]
    own = bearer("invoices:read", customer_id=paid.customer["id"])
    assert [n["id"] for n in client.get("/api/v1/CreditNotes", headers=own).json["data"]] == [note["id"]]
    other = bearer("invoices:read", customer_id=customer_created()["id"])
    assert client.get("/api/v1/CreditNotes", headers=other).json["data"] == []
    assert (
        client.get(f"/api/v1/CreditNotes?customerId={paid.customer['id']}", headers=other).json["data"] == []
    )
    for path in (f"/api/v1/CreditNotes/{note['id']}", f"/api/v1/CreditNotes/{note['id']}/pdf"):
        assert client.get(path, headers=other).status_code == 404
        assert client.get(path, headers=own).status_code == 200


def test_a_dispute_flags_the_invoice(app: Flask, client: FlaskClient, admin: dict[str, str]) -> None:
    paid = paid_invoice(app, client, admin)
    data = {
        "id": paid.payment["id"],
        "orderId": paid.order["id"],
        "customerId": paid.customer["id"],
        "amount": paid.invoice["total"],
        "currency": "USD",
    }
    assert paid.invoice["disputed"] is False and paid.invoice["disputedAt"] is None
    deliver(app, versioned("PaymentDisputed", 1, data))
    flagged = client.get(f"/api/v1/Invoices/{paid.invoice['id']}", headers=admin).json
    assert flagged["disputed"] is True and re.match(r"\d{4}-\d\d-\d\dT", flagged["disputedAt"])
    deliver(
        app,
        versioned(
            "PaymentDisputed",
            2,
            data | {"orderId": None, "invoiceId": paid.invoice["id"], "subscriptionId": None},
        ),
    )
    again = client.get(f"/api/v1/Invoices/{paid.invoice['id']}", headers=admin).json
    assert again["disputedAt"] == flagged["disputedAt"] and again["version"] == flagged["version"]
