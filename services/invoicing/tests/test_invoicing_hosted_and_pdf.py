"""The invoice's documents: GET /Invoices/{id}/pdf (a real PDF, a customer sees only its own) and the
hosted page behind `hostedInvoiceUrl` (no token; tampered 404, expired 410), plus the customer
projection the buyer comes from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from documents_testing import customer_created, draft_invoice, paid_invoice, pdf_text
from flask import Flask
from flask.testing import FlaskClient
from invoicing_testing import deliver, event

from billing_shared.hosted.tokens import hosted_url_token
from billing_shared.web.context import deps_of
from invoicing.bootstrap import Deps, hosted_links
from invoicing.domain.formatting import format_money


def _path(url: str) -> str:
    return urlsplit(url).path


def test_the_pdf_shows_number_buyer_lines_and_total(
    app: Flask, client: FlaskClient, admin: dict[str, str], bearer: Any
) -> None:
    paid = paid_invoice(app, client, admin)
    inv = paid.invoice
    r = client.get(f"/api/v1/Invoices/{inv['id']}/pdf", headers=admin)
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = pdf_text(r.data)
    for shown in (
        inv["number"],
        format_money(inv["total"], "USD", "en_US"),  # $53.98
        "PAID",
        "Ada Lovelace",
        "12 Analytical Row",
        "GB123456789",
        "Billing Demo Ltd",
        "Analytical Engine rental",  # the product's name as ordered, never its id
        "Punched cards (box)",
        "Tax 20%",
    ):
        assert shown in text, shown
    own = bearer("invoices:read", customer_id=paid.customer["id"])
    assert client.get(f"/api/v1/Invoices/{inv['id']}/pdf", headers=own).status_code == 200
    other = bearer("invoices:read", customer_id=customer_created()["id"])
    r = client.get(f"/api/v1/Invoices/{inv['id']}/pdf", headers=other)
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    assert client.get(f"/api/v1/Invoices/{inv['id']}/pdf").status_code == 401


def test_a_draft_pdf_says_draft(app: Flask, client: FlaskClient, admin: dict[str, str]) -> None:
    draft = draft_invoice(app, client, admin)
    text = pdf_text(client.get(f"/api/v1/Invoices/{draft['id']}/pdf", headers=admin).data)
    assert "DRAFT" in text and "INV-" not in text


def test_the_hosted_page_needs_no_token_and_shows_number_and_total(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    inv = paid_invoice(app, client, admin).invoice
    url = inv["hostedInvoiceUrl"]
    assert url.startswith("http://127.0.0.1:8080/api/v1/Invoices/hosted/")
    page = client.get(_path(url))  # no Authorization
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    total = format_money(inv["total"], "USD", "en_US")
    assert f'id="invoice-number">{inv["number"]}<' in html and f'id="total">{total}<' in html
    assert page.headers["Referrer-Policy"] == "no-referrer" and "no-store" in page.headers["Cache-Control"]
    pdf = client.get(_path(url) + "/pdf")
    assert pdf.status_code == 200 and inv["number"] in pdf_text(pdf.data)
    # each read signs a fresh link; both open the page
    again = client.get(f"/api/v1/Invoices/{inv['id']}", headers=admin).json["hostedInvoiceUrl"]
    assert again != url and client.get(_path(again)).status_code == 200


def test_a_tampered_link_is_404_and_an_expired_one_410(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    inv = paid_invoice(app, client, admin).invoice
    path = _path(inv["hostedInvoiceUrl"])
    payload, mac = path.rsplit("/", 1)[1].split(".")
    forged = path.rsplit("/", 1)[0] + "/" + payload + "." + ("A" if mac[0] != "A" else "B") + mac[1:]
    for bad in (forged, "/api/v1/Invoices/hosted/not-a-token", "/api/v1/Invoices/hosted/x.y"):
        r = client.get(bad)
        assert r.status_code == 404 and r.mimetype == "application/problem+json", bad
        assert inv["number"] not in r.get_data(as_text=True)
    secret = deps_of(app, Deps).hosted_links.secret
    expired = hosted_url_token(inv["id"], datetime.now(UTC) - timedelta(seconds=1), secret)
    r = client.get(f"/api/v1/Invoices/hosted/{expired}")
    assert r.status_code == 410 and "expired" in r.json["detail"]
    assert client.get(f"/api/v1/Invoices/hosted/{expired}/pdf").status_code == 410


def test_links_survive_a_restart_and_a_set_secret_wins(app: Flask, tmp_path: Any) -> None:
    settings = deps_of(app, Deps).settings
    first = hosted_links(settings)
    token = first.url("in_X", datetime.now(UTC)).rsplit("/", 1)[1]
    assert hosted_links(settings).invoice_id(token, datetime.now(UTC)) == "in_X"
    given = settings.model_copy(update={"hosted_invoice_secret": "s" * 32})
    assert hosted_links(given).secret == "s" * 32


def test_a_draft_has_no_hosted_url(app: Flask, client: FlaskClient, admin: dict[str, str]) -> None:
    draft = draft_invoice(app, client, admin)
    assert draft["hostedInvoiceUrl"] is None
    token = hosted_url_token(
        draft["id"],
        datetime.now(UTC) + timedelta(days=1),
        deps_of(app, Deps).hosted_links.secret,
    )
    assert client.get(f"/api/v1/Invoices/hosted/{token}").status_code == 404


def test_the_buyer_follows_customer_updates_but_not_stale_ones(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    paid = paid_invoice(app, client, admin)
    newer = customer_created(
        paid.customer["id"], name="Ada King", taxId="GB999", version=2, changed=["name", "taxId"]
    )
    deliver(app, event("CustomerUpdated", newer, "/customers"))
    stale = customer_created(paid.customer["id"], name="Old Name", version=1, changed=["name"])
    deliver(app, event("CustomerUpdated", stale, "/customers"))
    text = pdf_text(client.get(f"/api/v1/Invoices/{paid.invoice['id']}/pdf", headers=admin).data)
    assert "Ada King" in text and "GB999" in text and "Old Name" not in text


def test_a_customer_locale_formats_the_documents(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    paid = paid_invoice(app, client, admin)
    german = customer_created(
        paid.customer["id"], metadata={"locale": "de_DE"}, version=2, changed=["metadata"]
    )
    deliver(app, event("CustomerUpdated", german, "/customers"))
    text = pdf_text(client.get(f"/api/v1/Invoices/{paid.invoice['id']}/pdf", headers=admin).data)
    assert format_money(paid.invoice["total"], "USD", "de_DE").replace("\xa0", " ") in text  # 53,98 $


def test_a_drafts_memo_and_footer_are_on_its_documents_and_frozen_once_finalized(
    app: Flask, client: FlaskClient, admin: dict[str, str], bearer: Any
) -> None:
    inv = draft_invoice(app, client, admin)
    url = f"/api/v1/Invoices/{inv['id']}"
    memo, footer = (
        "Thank you for the order of 3 December.",
        "Bank: IBAN DE00 1234 — reference your invoice number.",
    )
    r = client.patch(url, json={"memo": memo, "footer": footer}, headers=admin)
    assert r.status_code == 200 and (r.json["memo"], r.json["footer"]) == (memo, footer)
    assert r.json["version"] == inv["version"] + 1
    own = bearer("invoices:read", "invoices:write", customer_id=inv["customerId"])
    assert client.patch(url, json={"memo": "mine"}, headers=own).status_code == 403, "the merchant's text"
    bad = client.patch(url, json={"memo": "x", "colour": "red"}, headers=admin)
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    text = pdf_text(client.get(f"{url}/pdf", headers=admin).data)
    assert memo in text and "IBAN DE00 1234" in text
    finalized = client.post(f"{url}/finalize", headers=admin)
    assert finalized.status_code == 200 and finalized.json["memo"] == memo
    page = client.get(_path(finalized.json["hostedInvoiceUrl"]))
    assert memo in page.get_data(as_text=True) and "IBAN DE00 1234" in page.get_data(as_text=True)
    frozen = client.patch(url, json={"memo": "changed"}, headers=admin)
    assert frozen.status_code == 409 and client.get(url, headers=admin).json["memo"] == memo
