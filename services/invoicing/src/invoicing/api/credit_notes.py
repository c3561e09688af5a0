"""/api/v1/CreditNotes: the credit notes issued on refunds (read only; refunds make them).

A customer-role token sees only its own customer's notes (another's are 404)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.orm import Session

from billing_shared.auth.flask import requires
from billing_shared.errors import not_found
from invoicing.api import access
from invoicing.api.access import db, own_customer, party_of
from invoicing.api.documents import pdf_response
from invoicing.api.schemas import CreditNoteListArgs, CreditNoteListSchema, CreditNoteSchema
from invoicing.documents import render_pdf
from invoicing.domain.credit_notes import CreditNote
from invoicing.mail import pdf_filename
from invoicing.render import credit_note_document
from invoicing.store.credit_notes import CreditNoteRepository
from invoicing.store.invoices import InvoiceRepository

blp = Blueprint(
    "credit_notes", __name__, url_prefix="/api/v1/CreditNotes", description="Credit notes of refunds"
)
_BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def _visible(note: CreditNote | None, note_id: str) -> CreditNote:
    own = own_customer()
    if note is None or (own is not None and note.customer_id != own):
        raise not_found("credit note", note_id)
    return note


def _wire(note: CreditNote, invoice_numbers: dict[str, str | None]) -> dict[str, Any]:
    return note.to_data(invoice_numbers.get(note.invoice_id))


def _numbers(session: Any, notes: list[CreditNote]) -> dict[str, str | None]:
    repo = InvoiceRepository(session)
    found = {}
    for invoice_id in {n.invoice_id for n in notes}:
        inv = repo.get(invoice_id)
        found[invoice_id] = inv.number if inv else None
    return found


@blp.route("")
class CreditNotesCollection(MethodView):
    @requires("invoices:read")
    @blp.arguments(CreditNoteListArgs, location="query")
    @blp.response(200, CreditNoteListSchema)
    @blp.doc(security=_BEARER)
    def get(self, args: dict[str, Any]) -> Response:
        """List credit notes, oldest first; filter by `invoiceId` and `customerId`."""

        def wire(session: Session, notes: list[CreditNote]) -> list[dict[str, Any]]:
            numbers = _numbers(session, notes)
            return [_wire(n, numbers) for n in notes]

        return access.list_page(
            args,
            lambda session, customer_id, n: CreditNoteRepository(session).page(
                limit=n,
                starting_after=args["starting_after"],
                invoice_id=args.get("invoice_id"),
                customer_id=customer_id,
            ),
            wire,
        )


@blp.route("/<string:note_id>")
class CreditNoteItem(MethodView):
    @requires("invoices:read")
    @blp.response(200, CreditNoteSchema)
    @blp.doc(security=_BEARER)
    def get(self, note_id: str) -> Response:
        """One credit note: its number, the invoice it credits, the refund and the amount."""
        with db().unit_of_work(write=False) as uow:
            note = _visible(CreditNoteRepository(uow.session).get(note_id), note_id)
            numbers = _numbers(uow.session, [note])
        return jsonify(_wire(note, numbers))


@blp.route("/<string:note_id>/pdf")
class CreditNotePdf(MethodView):
    @requires("invoices:read")
    @blp.doc(
        security=_BEARER, responses={"200": {"description": "the PDF", "content": {"application/pdf": {}}}}
    )
    def get(self, note_id: str) -> Response:
        """The credit note as a PDF, in the invoice's layout titled "Credit note"."""
        with db().unit_of_work(write=False) as uow:
            note = _visible(CreditNoteRepository(uow.session).get(note_id), note_id)
            invoice = InvoiceRepository(uow.session).get(note.invoice_id)
            assert invoice is not None
            party = party_of(uow.session, note.customer_id)
        return pdf_response(render_pdf(credit_note_document(note, invoice, party)), pdf_filename(note.number))
