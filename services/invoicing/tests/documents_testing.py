"""Helpers of the documents / sending / credit-note tests: a customer known to invoicing, a paid
invoice, payments' refund and dispute events (v1 and v2), and a real SMTP server in-process."""

from __future__ import annotations

import io
import json
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from invoicing_testing import deliver, event, named_order_created, new_id, order_created, payment_succeeded
from pypdf import PdfReader
from sqlalchemy import select

from billing_shared.events.envelope import Envelope
from billing_shared.web.context import deps_of, install
from invoicing.bootstrap import Deps


def customer_created(customer_id: str | None = None, **over: Any) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {
        "id": customer_id or new_id("cus"),
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "billingAddress": {
            "line1": "12 Analytical Row",
            "line2": None,
            "city": "London",
            "postalCode": "NW1 6XE",
            "region": None,
            "country": "GB",
        },
        "taxId": "GB123456789",
        "preferredCurrency": "USD",
        "metadata": {},
        "createdAt": now,
        "updatedAt": now,
        "version": 1,
    } | over


def versioned(name: str, version: int, data: dict[str, Any], source: str = "/payments") -> Envelope:
    env = event(name, data, source)
    return Envelope(
        id=env.id,
        type=f"billing.{name}.v{version}",
        source=env.source,
        subject=env.subject,
        time=env.time,
        dataschema="",
        key=env.key,
        data=data,
    )


@dataclass
class PaidInvoice:
    customer: dict[str, Any]
    order: dict[str, Any]
    payment: dict[str, Any]
    invoice: dict[str, Any]


def paid_invoice(
    app: Flask, client: FlaskClient, admin: dict[str, str], *, known_customer: bool = True
) -> PaidInvoice:
    """A customer (known to invoicing unless told otherwise), its order, paid: the invoice has a number."""
    customer = customer_created()
    if known_customer:
        deliver(app, event("CustomerCreated", customer, "/customers"))
    order = named_order_created(customer_id=customer["id"])
    deliver(app, event("OrderCreated", order, version=4))
    payment = payment_succeeded(order)
    deliver(app, event("PaymentSucceeded", payment, "/payments"))
    r = client.get(f"/api/v1/Invoices?orderId={order['id']}", headers=admin)
    assert r.status_code == 200 and r.json["data"][0]["status"] == "paid", r.json
    return PaidInvoice(customer, order, payment, r.json["data"][0])


def draft_invoice(app: Flask, client: FlaskClient, admin: dict[str, str]) -> dict[str, Any]:
    customer = customer_created()
    deliver(app, event("CustomerCreated", customer, "/customers"))
    order = order_created(customer_id=customer["id"])
    deliver(app, event("OrderCreated", order))
    r = client.get(f"/api/v1/Invoices?orderId={order['id']}", headers=admin)
    found: dict[str, Any] = r.json["data"][0]
    return found


def refunded(paid: PaidInvoice, amount: int, amount_refunded: int, *, v2: bool = False) -> Envelope:
    data = {
        "id": paid.payment["id"],
        "orderId": paid.order["id"],
        "customerId": paid.customer["id"],
        "amount": amount,
        "currency": paid.order["currency"],
        "refundId": new_id("re"),
        "amountRefunded": amount_refunded,
    }
    if v2:
        return versioned(
            "PaymentRefunded",
            2,
            data | {"orderId": None, "invoiceId": paid.invoice["id"], "subscriptionId": None},
        )
    return versioned("PaymentRefunded", 1, data)


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def closed_port() -> int:
    """A port nothing listens on (taken and let go)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Inbox:
    """What the in-process SMTP server received: (envelope sender, recipients, parsed message)."""

    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    url: str = ""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(bytes(envelope.original_content), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"


def mail_through(app: Flask, smtp_url: str) -> None:
    """The app's mail from now on goes to `smtp_url` (its collaborators rebuilt with it)."""
    deps = deps_of(app, Deps)
    install(app, replace(deps, mail=replace(deps.mail, smtp_url=smtp_url)))


def smtp_inbox() -> Iterator[Inbox]:
    inbox = Inbox()
    port = closed_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{port}"
    try:
        yield inbox
    finally:
        controller.stop()


def attachment(msg: EmailMessage) -> tuple[str, bytes]:
    parts = [p for p in msg.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(parts) == 1, [p.get_content_type() for p in msg.iter_attachments()]
    data = parts[0].get_content()
    assert isinstance(data, bytes)
    return parts[0].get_filename() or "", data


def idem() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def outbox_events(app: Flask, name: str) -> list[dict[str, Any]]:
    """The data of the outbox events called `name`, oldest first."""
    db = deps_of(app).db
    table = db.kit_tables.outbox
    with db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(select(table.c.type, table.c.data).order_by(table.c.id)).all()
    return [json.loads(r.data) for r in rows if r.type.split(".")[1] == name]
