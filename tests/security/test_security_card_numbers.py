"""tests/test_card_numbers_never_stored.py searches every file, database row and event after a paid
flow, byte for byte. What it cannot see: documents. A PDF's text is compressed inside it, and an
e-mail carries that PDF base64-encoded, so a number printed on an invoice or a credit note, or
written into the mail, would pass a byte search unseen. Here the flow goes on to send the invoice
and refund part of it (a credit note), and every PDF (from the API and attached to every mail) is
read as text, every mail part decoded, before searching for the number."""

from __future__ import annotations

import email
import io
import time
import uuid
from email import policy
from pathlib import Path

import pytest
from helpers import Client
from pypdf import PdfReader
from security_kit import eventually, ok, report
from test_card_numbers_never_stored import SPELLINGS, files_with, found_in, pay_with_a_card, rows_with

pytestmark = [pytest.mark.integration, pytest.mark.stack]


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def mails(var: Path) -> list[Path]:
    return sorted(var.rglob("*.eml"))


def test_the_card_number_is_in_no_document_or_mail_after_sending_and_crediting(api: Client) -> None:
    before = set(mails(api.platform.var))
    intent, _ = pay_with_a_card(api)
    invoice = eventually(
        lambda: (
            (d := api.call("GET", f"/Invoices?orderId={intent['orderId']}").json()["data"])
            and d[0]["status"] == "paid"
            and d[0]
        ),
        what="the invoice paid",
    )
    ok(api.call("POST", f"/Invoices/{invoice['id']}/send", headers={"Idempotency-Key": str(uuid.uuid4())}))
    ok(
        api.call("POST", "/Refunds", {"paymentIntentId": intent["id"], "amount": 500, "reason": "duplicate"}),
        201,
    )
    note = eventually(
        lambda: api.call("GET", f"/CreditNotes?invoiceId={invoice['id']}").json()["data"],
        what="the credit note",
    )[0]
    time.sleep(1)

    documents = {
        "invoice pdf": ok_pdf(api, f"/Invoices/{invoice['id']}/pdf"),
        "credit note pdf": ok_pdf(api, f"/CreditNotes/{note['id']}/pdf"),
    }
    new_mails = [m for m in mails(api.platform.var) if m not in before]
    assert new_mails, "sending the invoice wrote no mail"
    for path in new_mails:
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        for i, part in enumerate(message.walk()):
            if part.is_multipart():
                continue
            payload = part.get_payload(decode=True) or b""
            if part.get_content_type() == "application/pdf":
                documents[f"{path.name} attachment {i}"] = pdf_text(payload)
            else:
                documents[f"{path.name} part {i} ({part.get_content_type()})"] = payload.decode(
                    "utf-8", "replace"
                )
        documents[f"{path.name} headers"] = str(message.items())

    # The reading works: the invoice's own number is in its PDF and in the mail.
    assert invoice["number"] in documents["invoice pdf"], documents["invoice pdf"][:500]
    assert any(invoice["number"] in text for name, text in documents.items() if "attachment" in name)
    leaks = {name: hits for name, text in documents.items() if (hits := found_in(text, SPELLINGS))}
    assert not leaks, report(leaks)
    # And the byte search of the original test, once more after sending and crediting.
    assert files_with(api.platform.var, SPELLINGS) == []
    for owner, url in api.platform.db_urls.items():
        assert rows_with(url, SPELLINGS) == [], owner


def ok_pdf(api: Client, path: str) -> str:
    r = api.call("GET", path)
    assert r.status_code == 200 and r.content.startswith(b"%PDF"), (path, r.status_code, r.text[:200])
    return pdf_text(r.content)
