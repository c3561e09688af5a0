"""Sending an invoice: POST /Invoices/{id}/send and PUT /Invoices/{id} {"status": "sent"} e-mail it
through a real SMTP server (aiosmtpd, in-process) with the PDF attached; what cannot be sent is
refused before any mail goes out, and leaves nothing behind."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from documents_testing import (
    Inbox,
    attachment,
    closed_port,
    draft_invoice,
    idem,
    mail_through,
    outbox_events,
    paid_invoice,
    pdf_text,
)
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from billing_shared.web.context import deps_of
from invoicing.domain.formatting import format_money
from invoicing.store.tables import invoice_sends


def _sends(app: Flask) -> int:
    with deps_of(app).db.unit_of_work(write=False) as uow:
        return int(uow.session.execute(select(func.count()).select_from(invoice_sends)).scalar_one())


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.json)
    assert r.headers["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json
    return body


def test_post_send_and_put_sent_mail_the_pdf_to_the_customer(
    app: Flask, client: FlaskClient, admin: dict[str, str], inbox: Inbox
) -> None:
    paid = paid_invoice(app, client, admin)
    inv = paid.invoice
    number, total = inv["number"], format_money(inv["total"], "USD", "en_US")
    assert inv["allowedActions"] == ["send"] and inv["sentAt"] is None

    key = idem()
    r = client.post(f"/api/v1/Invoices/{inv['id']}/send", headers=admin | key)
    assert r.status_code == 200, r.json
    assert r.json["sentTo"] == "ada@example.com" and r.json["sentAt"] and r.json["status"] == "paid"
    assert len(inbox.messages) == 1
    sender, rcpts, msg = inbox.messages[0]
    assert rcpts == ["ada@example.com"] and sender == "billing@localhost"
    assert msg["Subject"] == f"Invoice {number} from Billing Demo Ltd"
    body = msg.get_body(("plain",))
    assert body is not None and total in body.get_content()
    assert "/api/v1/Invoices/hosted/" in body.get_content()
    name, pdf = attachment(msg)
    text = pdf_text(pdf)
    assert name == f"{number}.pdf"
    assert number in text and total in text and "PAID" in text
    for shown in ("Ada Lovelace", "12 Analytical Row", "NW1 6XE London", "GB123456789", "Billing Demo Ltd"):
        assert shown in text, shown

    # the same Idempotency-Key replays the answer and sends nothing again
    again = client.post(f"/api/v1/Invoices/{inv['id']}/send", headers=admin | key)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert len(inbox.messages) == 1

    # the seed's alternative, and sending again is allowed and recorded
    put = client.put(f"/api/v1/Invoices/{inv['id']}", json={"status": "sent"}, headers=admin)
    assert put.status_code == 200, put.json
    assert put.json["sentAt"] > r.json["sentAt"]
    assert len(inbox.messages) == 2 and number in pdf_text(attachment(inbox.messages[1][2])[1])
    assert _sends(app) == 2
    sent = outbox_events(app, "InvoiceSent")
    assert [(e["number"], e["sentTo"], e["sendCount"]) for e in sent] == [
        (number, "ada@example.com", 1),
        (number, "ada@example.com", 2),
    ]
    shown = client.get(f"/api/v1/Invoices/{inv['id']}", headers=admin).json
    assert shown["sentAt"] == put.json["sentAt"] and shown["sentTo"] == "ada@example.com"


def test_a_draft_is_not_sent_and_nothing_changes(
    app: Flask, client: FlaskClient, admin: dict[str, str], inbox: Inbox
) -> None:
    draft = draft_invoice(app, client, admin)
    assert "send" not in draft["allowedActions"] and draft["hostedInvoiceUrl"] is None
    for r in (
        client.post(f"/api/v1/Invoices/{draft['id']}/send", headers=admin | idem()),
        client.put(f"/api/v1/Invoices/{draft['id']}", json={"status": "sent"}, headers=admin),
    ):
        problem = _problem(r, 409)
        assert "draft" in problem["detail"] and problem["status"] == 409
    assert inbox.messages == [] and _sends(app) == 0 and outbox_events(app, "InvoiceSent") == []
    after = client.get(f"/api/v1/Invoices/{draft['id']}", headers=admin).json
    assert after["sentAt"] is None and after["version"] == draft["version"]


def test_a_void_invoice_is_not_sent(
    app: Flask, client: FlaskClient, admin: dict[str, str], inbox: Inbox
) -> None:
    draft = draft_invoice(app, client, admin)
    assert client.post(f"/api/v1/Invoices/{draft['id']}/void", headers=admin).status_code == 200
    problem = _problem(client.post(f"/api/v1/Invoices/{draft['id']}/send", headers=admin), 409)
    assert "void" in problem["detail"] and inbox.messages == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "void"}, "status"),
        ({"status": "sent", "total": 1}, "total"),
        ({"number": "INV-1"}, "number"),
        ([], "status"),
        (None, "status"),
    ],
)
def test_put_is_only_for_sending(
    app: Flask, client: FlaskClient, admin: dict[str, str], inbox: Inbox, body: Any, field: str
) -> None:
    inv = paid_invoice(app, client, admin).invoice
    r = client.put(f"/api/v1/Invoices/{inv['id']}", json=body, headers=admin)
    problem = _problem(r, 422)
    assert field in [e["field"] for e in problem["errors"]], problem
    assert inbox.messages == [] and _sends(app) == 0


def test_no_known_email_is_409_and_no_mail(
    app: Flask, client: FlaskClient, admin: dict[str, str], inbox: Inbox
) -> None:
    inv = paid_invoice(app, client, admin, known_customer=False).invoice
    problem = _problem(client.post(f"/api/v1/Invoices/{inv['id']}/send", headers=admin), 409)
    assert "e-mail" in problem["detail"] and inv["customerId"] in problem["detail"]
    assert inbox.messages == [] and _sends(app) == 0


def test_mail_server_down_is_502_and_nothing_recorded(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    inv = paid_invoice(app, client, admin).invoice
    mail_through(app, f"smtp://127.0.0.1:{closed_port()}")
    problem = _problem(client.post(f"/api/v1/Invoices/{inv['id']}/send", headers=admin | idem()), 502)
    assert "could not be delivered" in problem["detail"]
    assert (
        _sends(app) == 0 and client.get(f"/api/v1/Invoices/{inv['id']}", headers=admin).json["sentAt"] is None
    )


def test_without_smtp_url_the_mail_is_an_eml_file_in_the_sink(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    inv = paid_invoice(app, client, admin).invoice
    r = client.post(f"/api/v1/Invoices/{inv['id']}/send", headers=admin)
    assert r.status_code == 200, r.json
    files = list((Path(deps_of(app).settings.var_dir) / "mail").glob("*.eml"))
    assert len(files) == 1
    msg = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert isinstance(msg, EmailMessage) and msg["To"] == "ada@example.com"
    assert inv["number"] in pdf_text(attachment(msg)[1])


def test_a_customer_token_cannot_send(
    app: Flask, client: FlaskClient, admin: dict[str, str], bearer: Any, inbox: Inbox
) -> None:
    paid = paid_invoice(app, client, admin)
    own = bearer("invoices:read", "invoices:write", customer_id=paid.customer["id"])
    _problem(client.post(f"/api/v1/Invoices/{paid.invoice['id']}/send", headers=own), 403)
    assert inbox.messages == []
