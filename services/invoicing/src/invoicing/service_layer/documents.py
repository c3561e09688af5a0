"""An invoice's and a credit note's documents: the PDF, the hosted invoice page behind
`hostedInvoiceUrl`, and the signed link itself.

Each is read in a short read transaction and rendered after it ends: rendering takes longer than
the reads and needs no database connection.

The hosted page is reached through the signed, expiring token of `hostedInvoiceUrl`: the URL is the
credential. A token that does not verify is a 404 (nothing says whether the invoice exists), an
expired one a 410; a draft is never shown.
"""

from __future__ import annotations

from datetime import UTC, datetime

from billing_shared.auth.scope import CustomerScope
from billing_shared.errors import Problem
from invoicing.adapters.documents.html import render_html
from invoicing.adapters.documents.pdf import render_pdf
from invoicing.bootstrap import Deps
from invoicing.domain import invoices
from invoicing.domain.document_content import DocumentTerms, Party, credit_note_document, invoice_document
from invoicing.domain.documents import PdfFile, pdf_filename
from invoicing.domain.invoices import Invoice
from invoicing.service_layer.credit_notes import get_credit_note
from invoicing.service_layer.invoice_settings import invoice_terms, terms
from invoicing.service_layer.invoices import get_invoice
from invoicing.service_layer.projections import party
from invoicing.store.invoices import InvoiceRepository


def hosted_url(deps: Deps, invoice: Invoice) -> str | None:
    """A fresh signed link (new nonce) on every read of a finalized invoice; a draft has none."""
    return None if invoice.status == invoices.DRAFT else deps.hosted_links.url(invoice.id, datetime.now(UTC))


def _invoice_pdf(invoice: Invoice, to: Party, doc_terms: DocumentTerms) -> PdfFile:
    data = render_pdf(invoice_document(invoice, to, doc_terms))
    return PdfFile(data, pdf_filename(invoice.number or f"DRAFT-{invoice.id}"))


def invoice_pdf(deps: Deps, scope: CustomerScope, invoice_id: str) -> PdfFile:
    """GET /Invoices/{id}/pdf. A draft renders marked DRAFT, with no number."""
    with deps.db.unit_of_work(write=False) as uow:
        invoice = get_invoice(uow, scope, invoice_id)
        doc_terms = invoice_terms(uow.session, deps, invoice)
        to = party(uow, doc_terms, invoice.customer_id)
    return _invoice_pdf(invoice, to, doc_terms)


def _hosted(deps: Deps, token: str) -> tuple[Invoice, Party, DocumentTerms]:
    invoice_id = deps.hosted_links.granted(token, datetime.now(UTC))
    with deps.db.unit_of_work(write=False) as uow:
        invoice = InvoiceRepository(uow.session).get(invoice_id)
        if invoice is None or invoice.status == invoices.DRAFT:
            raise Problem(404, "No invoice at this link.")
        doc_terms = invoice_terms(uow.session, deps, invoice)
        return invoice, party(uow, doc_terms, invoice.customer_id), doc_terms


def hosted_invoice_page(deps: Deps, token: str) -> str:
    """The hosted page (HTML) its token grants; its "Download PDF" is the same token + `/pdf`, and
    an open invoice's Pay button leads to payments' checkout with the same token."""
    invoice, to, doc_terms = _hosted(deps, token)
    pay_url = deps.hosted_links.checkout_url(token) if invoice.status == invoices.OPEN else None
    doc = invoice_document(invoice, to, doc_terms)
    return render_html(doc, pdf_url=f"{token}/pdf", pay_url=pay_url)


def hosted_invoice_pdf(deps: Deps, token: str) -> PdfFile:
    return _invoice_pdf(*_hosted(deps, token))


def credit_note_pdf(deps: Deps, scope: CustomerScope, note_id: str) -> PdfFile:
    """GET /CreditNotes/{id}/pdf: the invoice's layout titled "Credit note"."""
    with deps.db.unit_of_work(write=False) as uow:
        note = get_credit_note(uow, scope, note_id)
        invoice = InvoiceRepository(uow.session).get(note.invoice_id)
        assert invoice is not None  # invoices are never deleted
        doc_terms = terms(uow.session, deps, note.settings_revision or 0)
        to = party(uow, doc_terms, note.customer_id)
    return PdfFile(render_pdf(credit_note_document(note, invoice, to, doc_terms)), pdf_filename(note.number))
