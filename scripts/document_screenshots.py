"""Renders a German invoice with a logo as the hosted page (headless Chromium) and as a PDF (its
first page rasterised with pdfium) into docs/images/, the pictures docs/invoice-documents-and-mail.md
shows. Nothing runs but the renderers: no database, no network.

    .venv/bin/python scripts/document_screenshots.py
"""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pypdfium2
from playwright.sync_api import sync_playwright

from invoicing.adapters.documents.html import render_html
from invoicing.adapters.documents.pdf import render_pdf
from invoicing.domain.documents import Buyer, DocumentLine, InvoiceDocument, Logo, Note, Seller

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images"
LOGO = b"""<svg xmlns="http://www.w3.org/2000/svg" width="180" height="48" viewBox="0 0 180 48">
<rect width="48" height="48" rx="10" fill="#0a7f4f"/><circle cx="24" cy="24" r="12" fill="#fff"/>
<text x="60" y="32" font-size="24" font-family="Helvetica" font-weight="bold" fill="#0a7f4f">Acme</text>
</svg>"""


def german_invoice() -> InvoiceDocument:
    line = DocumentLine
    return InvoiceDocument(
        seller=Seller("Acme Widgets GmbH", ("Unter den Linden 1", "10117 Berlin", "DE"), "DE123456789"),
        buyer=Buyer("Greta Beispiel", "greta@example.com", ("Hauptstraße 5", "80331 München", "DE")),
        number="INV-2026-000042",
        issue_date=date(2026, 12, 3),
        due_date=date(2026, 12, 17),
        currency="EUR",
        locale="de",
        lines=(
            line("Deluxe Widget", 2, 4200, 0, "0.19", 1596, 9996),
            line("Einrichtungsgebühr", 1, 5000, 0, "0.19", 950, 5950),
        ),
        subtotal=13400,
        discount_total=0,
        tax_total=2546,
        total=15946,
        status="open",
        notes=(Note("Bestellung 4711, wie besprochen.", verbatim=True),),
        footer="Vielen Dank für Ihren Einkauf. Bankverbindung: DE89 3704 0044 0532 0130 00",
        logo=Logo(LOGO, "image/svg+xml"),
        accent_color="#0a7f4f",
        support_email="hilfe@acme.example",
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    doc = german_invoice()
    chromium = subprocess.run(
        [str(ROOT / "deploy/local/chromium.sh")], check=True, capture_output=True, text=True
    ).stdout.strip()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 960, "height": 900})
        page.set_content(render_html(doc, pdf_url="#", pay_url="#"))
        page.screenshot(path=str(OUT / "invoice-page-de.png"), full_page=True)
        browser.close()
    pdf = pypdfium2.PdfDocument(render_pdf(doc))
    pdf[0].render(scale=1.4).to_pil().save(OUT / "invoice-pdf-de.png")
    print(f"wrote {OUT / 'invoice-page-de.png'} and {OUT / 'invoice-pdf-de.png'}")


if __name__ == "__main__":
    main()
