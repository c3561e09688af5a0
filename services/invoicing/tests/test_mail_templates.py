"""Every automatic mail and every document, rendered in English and in German: subject and both
parts in the reader's language, the values escaped in HTML and not in text, the logo carried as a
related part the HTML refers to; an invoice and a credit note PDF read back in each language."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from documents_testing import customer_created, pdf_text
from invoicing_testing import priced

from invoicing.adapters.documents.pdf import render_pdf
from invoicing.adapters.mail.message import compose
from invoicing.bootstrap import invoice_settings
from invoicing.config import InvoicingSettings
from invoicing.domain import invoices, mail
from invoicing.domain.credit_notes import issue
from invoicing.domain.document_content import DocumentTerms, credit_note_document, invoice_document, parties
from invoicing.domain.documents import Logo

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
LOGO = Logo(b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "image/svg+xml")
CONTEXT = {
    "seller": "Acme <GmbH>",
    "buyer": "Greta & Co",
    "support_email": "help@acme.test",
    "accent_color": "#0a7f4f",
    "footer": "Danke",
    "number": "INV-2026-000007",
    "total": "53,98 €",
    "due_date": "17.12.2026",
    "hosted_url": "https://pay.example/i/abc?x=1&y=2",
    "lines": [("Deluxe Widget", "53,98 €")],
    "amount_paid": "53,98 €",
    "paid_date": "03.12.2026",
    "amount_due": "53,98 €",
    "next_attempt": "05.12.2026",
    "trial_end": "06.12.2026",
    "canceled_date": "03.12.2026",
    "unpaid": True,
}
SUBJECTS = {
    "en": {
        mail.INVOICE: "Invoice INV-2026-000007 from Acme <GmbH>",
        mail.RECEIPT: "Receipt for invoice INV-2026-000007 from Acme <GmbH>",
        mail.PAYMENT_FAILED: "Payment of invoice INV-2026-000007 failed",
        mail.TRIAL_ENDING: "Your trial with Acme <GmbH> ends on 06.12.2026",
        mail.SUBSCRIPTION_CANCELED: "Your subscription with Acme <GmbH> has been cancelled",
    },
    "de": {
        mail.INVOICE: "Rechnung INV-2026-000007 von Acme <GmbH>",
        mail.RECEIPT: "Zahlungsbestätigung für Rechnung INV-2026-000007 von Acme <GmbH>",
        mail.PAYMENT_FAILED: "Zahlung der Rechnung INV-2026-000007 fehlgeschlagen",
        mail.TRIAL_ENDING: "Ihre Testphase bei Acme <GmbH> endet am 06.12.2026",
        mail.SUBSCRIPTION_CANCELED: "Ihr Abonnement bei Acme <GmbH> wurde gekündigt",
    },
}
GREETING = {"en": "Hello Greta & Co,", "de": "Hallo Greta & Co,"}


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize("kind", mail.KINDS)
def test_every_mail_reads_in_the_customers_language(kind: str, lang: str) -> None:
    msg = compose(
        kind=kind,
        locale=lang,
        sender="Billing <billing@acme.test>",
        to="greta@example.com",
        context=CONTEXT,
        logo=LOGO,
    )
    assert str(msg["Subject"]) == SUBJECTS[lang][kind] and msg["Content-Language"] == lang
    assert msg["Message-ID"].endswith("@acme.test>")
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert plain is not None and html is not None
    text, page = str(plain.get_content()), str(html.get_content())
    assert text.startswith(GREETING[lang]) and "Greta &amp; Co" in page and "<GmbH>" not in page
    assert f'<html lang="{lang}">' in page and "Danke" in text and "help@acme.test" in text
    related = [p for p in msg.walk() if p.get_content_type() == "image/svg+xml"]
    assert len(related) == 1 and f"cid:{str(related[0]['Content-ID']).strip('<>')}" in page
    if kind in (mail.INVOICE, mail.RECEIPT, mail.PAYMENT_FAILED):
        assert "https://pay.example/i/abc?x=1&y=2" in text and "abc?x=1&amp;y=2" in page
    if lang == "de":
        assert not re.search(r"\b(Hello|here is|thank you|we could not|your trial|your subscription)\b", text)


def _terms() -> DocumentTerms:
    return DocumentTerms(invoice_settings(InvoicingSettings()), "en_US")


@pytest.mark.parametrize(
    ("locale", "words"), [("en", ("Invoice", "Credit note")), ("de", ("Rechnung", "Gutschrift"))]
)
def test_the_invoice_and_its_credit_note_pdf_in_each_language(locale: str, words: tuple[str, str]) -> None:
    inv, _ = invoices.draft(
        invoice_id="in_1", order_id="ord_1", customer_id="cus_1", priced=priced(), now=NOW
    )
    opened, _ = invoices.finalize(inv, number="INV-2026-000009", settings_revision=0, now=NOW)
    party = parties(_terms(), "cus_1", customer_created("cus_1", preferredLocale=locale))
    assert words[0] in pdf_text(render_pdf(invoice_document(opened, party, _terms())))
    note, _ = issue(
        note_id="cn_1",
        seq=1,
        invoice=opened,
        refund_id="re_1",
        amount=1000,
        payment_intent_id=None,
        settings_revision=0,
        now=NOW,
    )
    credit = pdf_text(render_pdf(credit_note_document(note, opened, party, _terms())))
    assert words[1] in credit and "INV-2026-000009" in credit
