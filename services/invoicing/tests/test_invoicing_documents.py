"""Invoice documents: the PDF parses and shows the figures for the locale, the hosted page escapes
what customers typed, and the hosted URL token is signed and expires."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader

from billing_shared.hosted.tokens import (
    ExpiredHostedToken,
    InvalidHostedToken,
    hosted_url_token,
    verify_hosted_token,
)
from invoicing.adapters.documents.html import render_html
from invoicing.adapters.documents.pdf import render_pdf
from invoicing.domain.documents import Buyer, DocumentLine, InvoiceDocument, Seller
from invoicing.domain.formatting import format_money

SECRET = "s" * 40


def _doc(
    *,
    currency: str = "EUR",
    locale: str = "de_DE",
    buyer_name: str = "Erika Mustermann GmbH",
    number: str | None = "INV-2026-000042",
    status: str = "paid",
    unit_price: int = 100000,
) -> InvoiceDocument:
    # line 1: 1 x unit_price, discount 10 % of it, tax 19 % of the rest (exclusive)
    discount = unit_price // 10
    base1 = unit_price - discount
    tax1 = (base1 * 19 + 50) // 100
    # line 2: 2 x 1000, 7 % tax
    base2 = 2000
    tax2 = 140
    lines = (
        DocumentLine("Annual plan", 1, unit_price, discount, "0.19", tax1, base1 + tax1),
        DocumentLine("Printed manual", 2, 1000, 0, "0.07", tax2, base2 + tax2),
        DocumentLine("Support hours", 1, 500, 0, "0.190", 95, 595),
    )
    return InvoiceDocument(
        seller=Seller("Acme Billing AG", ("Hauptstraße 1", "10115 Berlin", "Germany"), "DE123456789"),
        buyer=Buyer(buyer_name, "erika@example.com", ("Musterweg 7", "80331 München"), "DE987654321"),
        number=number,
        issue_date=date(2026, 11, 25),
        due_date=date(2026, 12, 9),
        currency=currency,
        locale=locale,
        lines=lines,
        subtotal=sum(line.quantity * line.unit_price for line in lines),
        discount_total=discount,
        tax_total=sum(line.tax for line in lines),
        total=sum(line.total for line in lines),
        status=status,
    )


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


def _norm(s: str) -> str:
    return re.sub(r"[\s\u00a0\u202f]+", " ", s)


@pytest.mark.parametrize(
    ("currency", "locale", "amount", "expected"),
    [
        ("EUR", "de_DE", 123456, "1.234,56\u00a0€"),
        ("USD", "en_US", 123456, "$1,234.56"),
        ("JPY", "en_US", 123456, "¥123,456"),
        ("KWD", "en_US", 1234567, "KWD1,234.567"),
        ("USD", "en_US", -500, "-$5.00"),
        ("EUR", "fr_FR", 123456, "1\u202f234,56\u00a0€"),
    ],
)
def test_format_money_uses_the_iso_exponent_and_the_locale(
    currency: str, locale: str, amount: int, expected: str
) -> None:
    assert format_money(amount, currency, locale) == expected


def test_taxes_by_rate_group_the_lines_figures() -> None:
    doc = _doc()
    groups = doc.taxes_by_rate
    assert [g.rate for g in groups] == ["0.07", "0.19"]  # "0.190" groups with "0.19"
    assert sum(g.tax for g in groups) == doc.tax_total
    assert sum(g.net + g.tax for g in groups) == doc.total
    assert groups[1].tax == doc.lines[0].tax + doc.lines[2].tax


def test_money_must_be_integer_minor_units() -> None:
    with pytest.raises(TypeError):
        DocumentLine("x", 1, 1.5, 0, "0.2", 0, 2)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        DocumentLine("x", 1, 100, 0, "twenty", 0, 100)


@pytest.mark.parametrize(
    ("currency", "locale", "unit_price"),
    [("EUR", "de_DE", 100000), ("USD", "en_US", 100000), ("JPY", "en_US", 100000), ("KWD", "en_US", 1000000)],
)
def test_pdf_parses_and_shows_number_buyer_and_total_for_the_locale(
    currency: str, locale: str, unit_price: int
) -> None:
    doc = _doc(currency=currency, locale=locale, unit_price=unit_price)
    data = render_pdf(doc)
    assert data.startswith(b"%PDF-")
    text = _pdf_text(data)
    assert "INV-2026-000042" in text
    assert "Erika Mustermann GmbH" in text
    assert "erika@example.com" in text
    assert "DE987654321" in text and "Musterweg 7" in text  # buyer's tax id and address
    assert "Acme Billing AG" in text and "DE123456789" in text
    assert "Printed manual" in text and "Support hours" in text
    assert _norm(format_money(doc.total, currency, locale)) in text
    assert _norm(format_money(-doc.discount_total, currency, locale)) in text
    for group in doc.taxes_by_rate:
        assert _norm(format_money(group.tax, currency, locale)) in text
    assert ("BEZAHLT" if locale.startswith("de") else "PAID") in text  # in the reader's language


def test_pdf_totals_in_the_expected_shapes() -> None:
    de = _pdf_text(render_pdf(_doc(currency="EUR", locale="de_DE", unit_price=100000)))
    # 900.00 + 171.00 tax + 21.40 + 5.95 = 1.098,35 €
    assert "1.098,35 €" in de
    us = _pdf_text(render_pdf(_doc(currency="USD", locale="en_US", unit_price=100000)))
    assert "$1,098.35" in us
    jp = _pdf_text(render_pdf(_doc(currency="JPY", locale="en_US", unit_price=100000)))
    assert "¥109,835" in jp  # no decimals
    kw = _pdf_text(render_pdf(_doc(currency="KWD", locale="en_US", unit_price=1000000)))
    assert "KWD1,073.735" in kw  # three decimals (minor units: 1073735)


def test_draft_pdf_says_draft() -> None:
    assert "DRAFT" in _pdf_text(render_pdf(_doc(number=None, status="draft", locale="en_US")))
    assert "ENTWURF" in _pdf_text(render_pdf(_doc(number=None, status="draft", locale="de_DE")))


def test_pdf_survives_markup_in_customer_text() -> None:
    text = _pdf_text(render_pdf(_doc(buyer_name="<b>Bobby</b> & Tables <script>")))
    assert "<b>Bobby</b> & Tables <script>" in text


def test_html_escapes_a_malicious_customer_name() -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    page = render_html(_doc(buyer_name=evil))
    assert "<script>" not in page
    assert "<img" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_html_is_self_contained_and_shows_the_figures() -> None:
    doc = _doc(currency="USD", locale="en_US")
    page = render_html(doc)
    assert page.startswith("<!DOCTYPE html>")
    assert "<style>" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    assert "INV-2026-000042" in page
    assert "$1,098.35" in page
    assert "Erika Mustermann GmbH" in page
    assert "DE987654321" in page


def test_hosted_token_round_trip() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    token = hosted_url_token("inv_01HXYZ", now + timedelta(days=30), SECRET)
    assert re.fullmatch(r"[A-Za-z0-9_\-.]+", token)  # URL-safe
    assert verify_hosted_token(token, SECRET, now) == "inv_01HXYZ"
    assert verify_hosted_token(token, SECRET.encode(), now + timedelta(days=29)) == "inv_01HXYZ"


def test_hosted_tokens_are_unguessable() -> None:
    expires = datetime(2026, 12, 25, tzinfo=UTC)
    tokens = {hosted_url_token("inv_1", expires, SECRET) for _ in range(50)}
    assert len(tokens) == 50


def test_hosted_token_expires() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    token = hosted_url_token("inv_1", now + timedelta(hours=1), SECRET)
    with pytest.raises(ExpiredHostedToken):
        verify_hosted_token(token, SECRET, now + timedelta(hours=1))
    with pytest.raises(ExpiredHostedToken):
        verify_hosted_token(token, SECRET, now + timedelta(days=2))


def test_hosted_token_tampering_is_refused() -> None:
    import base64

    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    token = hosted_url_token("inv_1", now + timedelta(hours=1), SECRET)
    payload, mac = token.split(".")
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    forged = raw.replace(b"inv_1", b"inv_2")
    forged_token = base64.urlsafe_b64encode(forged).rstrip(b"=").decode() + "." + mac
    for bad in (
        forged_token,
        token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),
        token + "x",
        "garbage",
        "",
        "a.b.c",
        "!!!.???",
    ):
        with pytest.raises(InvalidHostedToken):
            verify_hosted_token(bad, SECRET, now)
    with pytest.raises(InvalidHostedToken):
        verify_hosted_token(token, "t" * 40, now)  # another secret


def test_hosted_token_refuses_weak_secrets_and_naive_times() -> None:
    with pytest.raises(ValueError):
        hosted_url_token("inv_1", datetime(2026, 12, 1, tzinfo=UTC), "short")
    with pytest.raises(ValueError):
        hosted_url_token("inv_1", datetime(2026, 12, 1), SECRET)


def test_html_has_stable_ids_and_an_optional_pdf_link() -> None:
    doc = _doc(currency="USD", locale="en_US")
    page = render_html(doc, pdf_url="/hosted/abc.def/pdf?a=1&b=2")
    assert '<dd id="invoice-number">INV-2026-000042</dd>' in page
    assert '<td id="total">$1,098.35</td>' in page
    assert 'href="/hosted/abc.def/pdf?a=1&amp;b=2"' in page
    assert "Download PDF" not in render_html(doc)
