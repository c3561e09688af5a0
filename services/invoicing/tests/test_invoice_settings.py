"""The merchant's identity and branding as data: read by the merchant, changed by an admin only,
checked like every input, and frozen into each document when it is issued. A logo upload is
type-checked and sanitised before any document shows it."""

from __future__ import annotations

import io
from typing import Any

from documents_testing import paid_invoice, pdf_text
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from pypdf import PdfReader

from billing_shared.web.context import deps_of
from invoicing.store.tables import invoice_settings

ADMIN_ONLY = ("invoices:read", "invoices:write")
SVG_TYPE = "image/svg+xml"


def _png(size: tuple[int, int] = (120, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (31, 111, 235)).save(out, format="PNG", pnginfo=None)
    return out.getvalue() + b"trailing bytes after IEND"


SVG = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="120" height="40"
     onload="alert(1)">
  <script>alert(document.cookie)</script>
  <foreignObject><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>
  <a xlink:href="javascript:alert(1)"><rect width="10" height="10"/></a>
  <image xlink:href="https://tracker.example/p.png" width="1" height="1"/>
  <rect width="120" height="40" rx="6" fill="#0a7" onclick="steal()" style="fill:url(https://x.example)"/>
  <use xlink:href="https://evil.example/sprite.svg#a"/>
  <text x="10" y="26" font-size="18" fill="#fff">ACME</text>
</svg>"""


def _revisions(app: Flask) -> int:
    with deps_of(app).db.unit_of_work(write=False) as uow:
        return len(uow.session.execute(invoice_settings.select()).all())


def test_defaults_come_from_the_environment_and_an_admin_changes_them(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    r = client.get("/api/v1/InvoiceSettings", headers=admin)
    assert r.status_code == 200 and r.json["revision"] == 0 and r.headers["ETag"] == '"0"', r.json
    assert r.json["sellerName"] == "Billing Demo Ltd" and r.json["daysUntilDue"] == 14
    assert r.json["mail"] == dict.fromkeys(
        ("invoiceFinalized", "receipt", "paymentFailed", "trialEnding", "subscriptionCanceled"), True
    )
    change = {
        "sellerName": "Acme GmbH",
        "sellerAddress": ["Unter den Linden 1", "10117 Berlin", "DE"],
        "footer": "Vielen Dank",
        "accentColor": "#0A7F4F",
        "supportEmail": "help@acme.test",
        "mail": {"receipt": False},
    }
    r = client.patch("/api/v1/InvoiceSettings", json=change, headers=admin | {"If-Match": '"0"'})
    assert r.status_code == 200 and r.json["revision"] == 1, r.json
    assert r.json["sellerAddress"] == change["sellerAddress"] and r.json["mail"]["receipt"] is False
    assert r.json["mail"]["invoiceFinalized"] is True  # merged, not replaced
    stale = client.patch("/api/v1/InvoiceSettings", json={"footer": "x"}, headers=admin | {"If-Match": '"0"'})
    assert stale.status_code == 412
    same = client.patch("/api/v1/InvoiceSettings", json={"footer": "Vielen Dank"}, headers=admin)
    assert same.json["revision"] == 1  # a change to nothing makes no revision


def test_only_an_admin_changes_them_and_customers_do_not_read_them(
    app: Flask, client: FlaskClient, bearer: Any
) -> None:
    merchant = bearer(*ADMIN_ONLY)
    assert client.get("/api/v1/InvoiceSettings", headers=merchant).status_code == 200
    assert client.patch("/api/v1/InvoiceSettings", json={"footer": "x"}, headers=merchant).status_code == 403
    assert client.put("/api/v1/InvoiceSettings/logo", data=_png(), headers=merchant).status_code == 403
    customer = bearer("invoices:read", customer_id="cus_1")
    assert client.get("/api/v1/InvoiceSettings", headers=customer).status_code == 403
    assert _revisions(app) == 0


def test_bad_settings_are_refused_with_the_field_and_change_nothing(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    for bad, field in (
        ({"accentColor": "red"}, "accentColor"),
        ({"daysUntilDue": -1}, "daysUntilDue"),
        ({"daysUntilDue": "14"}, "daysUntilDue"),
        ({"supportEmail": "not an address"}, "supportEmail"),
        ({"sellerName": ""}, "sellerName"),
        ({"sellerAddress": ["x"] * 7}, "sellerAddress"),
        ({"mail": {"receipt": "no"}}, "mail"),
        ({"mail": {"newsletter": True}}, "mail"),
        ({"logo": "x"}, "logo"),
    ):
        r = client.patch("/api/v1/InvoiceSettings", json=bad, headers=admin)
        assert r.status_code == 422 and r.mimetype == "application/problem+json", (bad, r.json)
        assert field in str(r.json), (bad, r.json)
    assert _revisions(app) == 0


def test_a_document_keeps_the_settings_it_was_issued_with(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    before = paid_invoice(app, client, admin).invoice
    r = client.patch(
        "/api/v1/InvoiceSettings", json={"sellerName": "Renamed AG", "footer": "Neu"}, headers=admin
    )
    assert r.status_code == 200
    old = pdf_text(client.get(f"/api/v1/Invoices/{before['id']}/pdf", headers=admin).data)
    assert "Billing Demo Ltd" in old and "Renamed AG" not in old and "Neu" not in old
    after = paid_invoice(app, client, admin).invoice
    new = pdf_text(client.get(f"/api/v1/Invoices/{after['id']}/pdf", headers=admin).data)
    assert "Renamed AG" in new and "Neu" in new


def test_a_png_logo_is_rewritten_and_shown_on_the_pdf_and_the_page(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    r = client.put("/api/v1/InvoiceSettings/logo", data=_png(), headers=admin | {"Content-Type": "image/png"})
    assert r.status_code == 200 and r.json["logo"]["contentType"] == "image/png", r.json
    with deps_of(app).db.unit_of_work(write=False) as uow:
        stored = uow.session.execute(invoice_settings.select()).one().logo
    assert stored.startswith(b"\x89PNG") and b"trailing bytes" not in stored
    inv = paid_invoice(app, client, admin).invoice
    pdf = client.get(f"/api/v1/Invoices/{inv['id']}/pdf", headers=admin).data
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 1
    page = client.get(inv["hostedInvoiceUrl"].split("8080", 1)[-1]).data.decode()
    assert 'id="logo" src="data:image/png;base64,' in page


def test_an_svg_logo_keeps_its_drawing_and_loses_everything_active(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    r = client.put(
        "/api/v1/InvoiceSettings/logo", data=SVG, headers=admin | {"Content-Type": "image/svg+xml"}
    )
    assert r.status_code == 200, r.json
    with deps_of(app).db.unit_of_work(write=False) as uow:
        stored = uow.session.execute(invoice_settings.select()).one().logo.decode()
    active = ("script", "onload", "onclick", "foreignObject", "javascript:", "tracker", "evil", "url(https")
    for gone in (*active, "<a ", "<image"):
        assert gone not in stored, gone
    assert "<rect" in stored and "ACME" in stored
    inv = paid_invoice(app, client, admin).invoice
    pdf = client.get(f"/api/v1/Invoices/{inv['id']}/pdf", headers=admin)
    assert pdf.status_code == 200 and "ACME" in pdf_text(pdf.data)  # drawn as vector text


def test_a_logo_that_is_not_one_is_refused_and_changes_nothing(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    for body, kind, status in (
        (b"hello", "text/plain", 415),
        (b"GIF89a....", "image/gif", 415),
        (b"\x89PNG\r\n\x1a\nnot really", "image/png", 422),
        (b"<html><script/></html>", "image/svg+xml", 422),
        (
            b'<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>',
            "image/svg+xml",
            422,
        ),
        (_png() + b"\0" * 600_000, "image/png", 422),
        (b"", "image/png", 422),
    ):
        r = client.put("/api/v1/InvoiceSettings/logo", data=body, headers=admin | {"Content-Type": kind})
        assert r.status_code == status and r.mimetype == "application/problem+json", (
            kind,
            r.status_code,
            r.json,
        )
    assert _revisions(app) == 0
