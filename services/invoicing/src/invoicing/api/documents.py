"""/api/v1/Invoices documents: the PDF (with a token) and the hosted invoice page (without one).

The hosted page is reached through the signed, expiring token of `hostedInvoiceUrl`: the URL is
the credential, so the gateway lets exactly `GET Invoices/hosted/<token>` (and its `/pdf`)
through without a token and this service verifies the signature itself: a token that does not
verify is a 404 (nothing says whether the invoice exists), an expired one a 410.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.auth.flask import requires
from billing_shared.errors import Problem
from invoicing.api.access import db, hosted_links, party_of, settings, visible_invoice
from invoicing.documents import ExpiredHostedToken, HostedTokenError, render_html, render_pdf
from invoicing.domain import invoices as rules
from invoicing.domain.invoices import Invoice
from invoicing.mail import pdf_filename
from invoicing.render import invoice_document
from invoicing.store.invoices import InvoiceRepository

blp = Blueprint(
    "invoice_documents", __name__, url_prefix="/api/v1/Invoices", description="Invoice PDFs and hosted pages"
)
_BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
_PDF = {"200": {"description": "the PDF", "content": {"application/pdf": {}}}}
_HTML = {"200": {"description": "the hosted invoice page", "content": {"text/html": {}}}}


def pdf_response(data: bytes, filename: str) -> Response:
    resp = Response(data, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _pdf_of(invoice: Invoice) -> Response:
    with db().unit_of_work(write=False) as uow:
        party = party_of(uow.session, invoice.customer_id)
    data = render_pdf(invoice_document(invoice, party, settings()))
    return pdf_response(data, pdf_filename(invoice.number or f"DRAFT-{invoice.id}"))


def _hosted_invoice(token: str) -> Invoice:
    try:
        invoice_id = hosted_links().invoice_id(token, datetime.now(UTC))
    except ExpiredHostedToken:
        raise Problem(410, "This invoice link has expired; ask the seller for a new one.") from None
    except HostedTokenError:
        raise Problem(404, "No invoice at this link.") from None
    with db().unit_of_work(write=False) as uow:
        invoice = InvoiceRepository(uow.session).get(invoice_id)
    if invoice is None or invoice.status == rules.DRAFT:
        raise Problem(404, "No invoice at this link.")
    return invoice


@blp.route("/<string:invoice_id>/pdf")
class InvoicePdf(MethodView):
    @requires("invoices:read")
    @blp.doc(security=_BEARER, responses=_PDF)
    def get(self, invoice_id: str) -> Response:
        """The invoice as a PDF: seller, buyer, lines, taxes per rate, totals in the customer's
        locale, number, dates and payment status. A draft renders marked DRAFT, with no number."""
        with db().unit_of_work(write=False) as uow:
            invoice = visible_invoice(InvoiceRepository(uow.session).get(invoice_id), invoice_id)
        return _pdf_of(invoice)


@blp.route("/hosted/<string:token>")
class HostedInvoicePage(MethodView):
    @blp.doc(security=[], responses=_HTML)
    def get(self, token: str) -> Response:
        """The hosted invoice page of `hostedInvoiceUrl`: no Authorization, the signed token is the
        credential. 404 when it does not verify, 410 when it has expired."""
        invoice = _hosted_invoice(token)
        with db().unit_of_work(write=False) as uow:
            party = party_of(uow.session, invoice.customer_id)
        page = render_html(invoice_document(invoice, party, settings()), pdf_url=f"{token}/pdf")
        resp = Response(page, mimetype="text/html")
        resp.headers["Cache-Control"] = "private, no-store"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Robots-Tag"] = "noindex, nofollow"
        resp.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        return resp


@blp.route("/hosted/<string:token>/pdf")
class HostedInvoicePdf(MethodView):
    @blp.doc(security=[], responses=_PDF)
    def get(self, token: str) -> Response:
        """The PDF behind the hosted page's "Download PDF", with the same token."""
        return _pdf_of(_hosted_invoice(token))
