"""The hosted invoice page as a customer sees it, in a real (headless) Chromium through the gateway,
with its real headers: in English and in German (`<html lang>`, labels, money and dates for the
locale), the product's name, and the merchant's logo drawn under the page's strict
Content-Security-Policy (inlined, nothing fetched from elsewhere)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from helpers import Client
from playwright.sync_api import BrowserContext
from test_payments_through_gateway import eventually, pay

pytestmark = [pytest.mark.integration, pytest.mark.stack]

LOGO = b"""<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><rect width="120" height="40"
 rx="8" fill="#0a7f4f"/><text x="14" y="27" font-size="18" fill="#fff">Acme</text></svg>"""


def paid_invoice_of(api: Client, locale: str | None, name: str) -> dict[str, Any]:
    product = api.call(
        "POST",
        "/Products",
        {"name": name, "taxCategory": "standard", "prices": [{"currency": "EUR", "unitPrice": 123456}]},
    )
    assert product.status_code == 201, product.text
    body = {
        "name": "Greta Beispiel",
        "email": f"g.{uuid.uuid4().hex[:8]}@example.com",
        "preferredLocale": locale,
    }
    customer = api.call("POST", "/Customers", body)
    assert customer.status_code == 201, customer.text
    order = api.call(
        "POST",
        "/Orders",
        {
            "customerId": customer.json()["id"],
            "currency": "EUR",
            "items": [{"productId": product.json()["id"], "quantity": 1}],
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    ).json()
    assert pay(api, order).status_code == 201

    def paid() -> dict[str, Any] | None:
        found = api.call("GET", f"/Invoices?orderId={order['id']}").json()["data"]
        return found[0] if found and found[0]["status"] == "paid" else None

    invoice: dict[str, Any] = eventually(paid, what="the paid invoice")
    return invoice


@pytest.mark.parametrize(
    ("locale", "lang", "words"),
    [
        ("en", "en", ("Invoice", "Bill to", "PAID", "€1,234.56")),
        ("de", "de", ("Rechnung", "Rechnungsempfänger", "BEZAHLT", "1.234,56")),
    ],
)
def test_the_hosted_page_reads_in_the_customers_language_with_the_logo(
    api: Client, browser: BrowserContext, locale: str, lang: str, words: tuple[str, ...]
) -> None:
    logo = api.call("PUT", "/InvoiceSettings/logo", data=LOGO, headers={"Content-Type": "image/svg+xml"})
    assert logo.status_code == 200, logo.text
    name = f"Deluxe Widget {uuid.uuid4().hex[:6]}"
    invoice = paid_invoice_of(api, locale, name)
    page = browser.new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("request", lambda r: blocked.append(r.url) if not r.url.startswith(("data:", api.base)) else None)
    response = page.goto(invoice["hostedInvoiceUrl"])
    assert response is not None and response.status == 200
    assert page.evaluate("document.documentElement.lang") == lang
    text = page.inner_text("main").casefold()  # as rendered: the party labels are upper case
    for word in (*words, name, invoice["number"]):
        assert word.casefold() in text, (word, text[:500])
    assert page.evaluate("document.getElementById('logo').naturalWidth") > 0  # drawn under the CSP
    assert blocked == []
