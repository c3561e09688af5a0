"""/api/v1/Invoices documents: the PDF (with a token) and the hosted invoice page (without one).

The gateway lets exactly `GET Invoices/hosted/<token>` (and its `/pdf`) through without a token:
the signed, expiring token of `hostedInvoiceUrl` is the credential, and this service verifies it.
"""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.auth.flask import requires
from billing_shared.web.context import caller_scope, deps
from billing_shared.web.responses import BEARER, hosted_page
from invoicing.bootstrap import Deps
from invoicing.domain.documents import PdfFile
from invoicing.service_layer import documents

blp = Blueprint(
    "invoice_documents", __name__, url_prefix="/api/v1/Invoices", description="Invoice PDFs and hosted pages"
)
_PDF = {"200": {"description": "the PDF", "content": {"application/pdf": {}}}}
_HTML = {"200": {"description": "the hosted invoice page", "content": {"text/html": {}}}}


def pdf_response(pdf: PdfFile) -> Response:
    """Shown in the browser, never cached: it names the customer and the amounts."""
    resp = Response(pdf.data, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'inline; filename="{pdf.filename}"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@blp.route("/<string:invoice_id>/pdf")
class InvoicePdf(MethodView):
    @requires("invoices:read")
    @blp.doc(security=BEARER, responses=_PDF)
    def get(self, invoice_id: str) -> Response:
        """The invoice as a PDF: seller, buyer, lines, taxes per rate, totals in the customer's
        locale, number, dates and payment status. A draft renders marked DRAFT, with no number."""
        return pdf_response(documents.invoice_pdf(deps(Deps), caller_scope(), invoice_id))


@blp.route("/hosted/<string:token>")
class HostedInvoicePage(MethodView):
    @blp.doc(security=[], responses=_HTML)
    def get(self, token: str) -> Response:
        """The hosted invoice page of `hostedInvoiceUrl`: no Authorization, the signed token is the
        credential. 404 when it does not verify, 410 when it has expired."""
        return hosted_page(documents.hosted_invoice_page(deps(Deps), token))


@blp.route("/hosted/<string:token>/pdf")
class HostedInvoicePdf(MethodView):
    @blp.doc(security=[], responses=_PDF)
    def get(self, token: str) -> Response:
        """The PDF behind the hosted page's "Download PDF", with the same token."""
        return pdf_response(documents.hosted_invoice_pdf(deps(Deps), token))
