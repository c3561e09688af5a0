"""Invoice documents end to end through the gateway: a paid order's invoice as a PDF, sent by
e-mail through both paths (POST /send and PUT status=sent) into the local sink (.eml files in the
platform's VAR_DIR/mail) with the PDF attached, a refund's credit note, and the hosted invoice page
opened in headless Chromium with no token."""

from __future__ import annotations

import io
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from helpers import Client
from playwright.sync_api import BrowserContext
from pypdf import PdfReader
from test_invoices_through_gateway import invoice_of
from test_payments_through_gateway import eventually, pay

from invoicing.domain.formatting import format_money

pytestmark = [pytest.mark.integration, pytest.mark.stack]


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def customer_order(api: Client) -> tuple[dict[str, Any], dict[str, Any]]:
    product = api.call(
        "POST",
        "/Products",
        {
            "name": "Docs plan",
            "taxCategory": "standard",
            "prices": [{"currency": "USD", "unitPrice": 123456}],
        },
    )
    assert product.status_code == 201, product.text
    customer = api.call(
        "POST",
        "/Customers",
        {
            "name": "Grace Hopper",
            "email": f"grace.{uuid.uuid4().hex[:8]}@example.com",
            "billingAddress": {
                "line1": "7 Compiler Lane",
                "city": "Arlington",
                "postalCode": "22201",
                "country": "US",
            },
            "taxId": "US-EIN-12-3456789",
        },
    )
    assert customer.status_code == 201, customer.text
    order = api.call(
        "POST",
        "/Orders",
        {
            "customerId": customer.json()["id"],
            "currency": "USD",
            "items": [{"productId": product.json()["id"], "quantity": 1}],
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert order.status_code == 201, order.text
    return customer.json(), order.json()


def paid_invoice(api: Client) -> tuple[dict[str, Any], dict[str, Any]]:
    customer, order = customer_order(api)
    assert pay(api, order).json()["status"] == "succeeded"
    invoice = eventually(
        lambda: (inv := invoice_of(api, order["id"])) and inv["status"] == "paid" and inv,
        timeout=180,
        what="the invoice paid",
    )
    return customer, invoice


def mails_to(var: Path, address: str) -> list[EmailMessage]:
    found = []
    for path in sorted((var / "mail").glob("*.eml")):
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        if msg["To"] == address:
            found.append(msg)
    return found


def attached_pdf(msg: EmailMessage) -> bytes:
    parts = [p for p in msg.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(parts) == 1
    data = parts[0].get_content()
    assert isinstance(data, bytes)
    return data


def test_a_paid_invoice_as_pdf_sent_twice_and_credited(api: Client) -> None:
    api.mail_switched_on()
    customer, inv = paid_invoice(api)
    total = format_money(inv["total"], "USD", "en_US")
    pdf = api.call("GET", f"/Invoices/{inv['id']}/pdf")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf", pdf.text[:300]
    text = pdf_text(pdf.content)
    for shown in (inv["number"], total, "PAID", "Grace Hopper", "7 Compiler Lane", "US-EIN-12-3456789"):
        assert shown in text, shown

    # invoicing learns the customer's e-mail from CustomerCreated; until then a send is a 409
    def send() -> Any:
        r = api.call("POST", f"/Invoices/{inv['id']}/send", headers={"Idempotency-Key": str(uuid.uuid4())})
        assert r.status_code in (200, 409), r.text
        return r.status_code == 200 and r.json()

    sent = eventually(send, what="the invoice sent")
    assert sent["sentTo"] == customer["email"] and sent["sentAt"]
    put = api.call("PUT", f"/Invoices/{inv['id']}", {"status": "sent"})
    assert put.status_code == 200 and put.json()["sentAt"] >= sent["sentAt"], put.text
    assert api.call("PUT", f"/Invoices/{inv['id']}", {"status": "void"}).status_code == 422

    # the invoice was also mailed on its own when finalized, and its receipt when paid
    def invoice_mails() -> list[EmailMessage] | None:
        mails = [
            m for m in mails_to(api.platform.var, customer["email"]) if inv["number"] in str(m["Subject"])
        ]
        return mails if len(mails) == 4 else None

    mails = eventually(invoice_mails, what="the automatic invoice mail and receipt beside the two sends")
    with_pdf = [
        m for m in mails if any(p.get_content_type() == "application/pdf" for p in m.iter_attachments())
    ]
    assert len(with_pdf) == 3 and len({m["Message-ID"] for m in mails}) == 4
    for msg in with_pdf:
        assert inv["number"] in pdf_text(attached_pdf(msg))

    refund = api.call(
        "POST",
        "/Refunds",
        {"paymentIntentId": inv["paymentIntentId"], "amount": 1000, "reason": "requested_by_customer"},
    )
    assert refund.status_code == 201, refund.text
    note = eventually(
        lambda: api.call("GET", f"/CreditNotes?invoiceId={inv['id']}").json()["data"],
        what="the refund's credit note",
    )[0]
    assert (
        note["number"].startswith("CN-") and note["amount"] == 1000 and note["invoiceNumber"] == inv["number"]
    )
    note_pdf = api.call("GET", f"/CreditNotes/{note['id']}/pdf")
    assert note_pdf.status_code == 200 and note["number"] in pdf_text(note_pdf.content)
    assert api.call("GET", f"/Invoices/{inv['id']}").json()["amountRefunded"] == 1000


def test_the_hosted_invoice_page_opens_in_a_browser_with_no_token(
    api: Client,
    browser: BrowserContext,
) -> None:
    _, inv = paid_invoice(api)
    url = inv["hostedInvoiceUrl"]
    assert url.startswith(api.base + "/api/v1/Invoices/hosted/"), url
    page = browser.new_page()
    response = page.goto(url)
    assert response is not None and response.status == 200
    assert page.locator("#invoice-number").inner_text() == inv["number"]
    total = format_money(inv["total"], "USD", "en_US")
    assert page.locator("#total").inner_text() == total
    assert inv["number"] in page.title()
    tampered = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    assert page.goto(tampered).status == 404  # type: ignore[union-attr]
