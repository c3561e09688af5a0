"""/api/v1/CreditNotes: the credit notes issued on refunds (read only; refunds make them).

A customer-role token sees only its own customer's notes (another's are 404)."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.auth.flask import requires
from billing_shared.web.context import caller_scope, deps, reading
from billing_shared.web.responses import BEARER, resource_response
from billing_shared.web.routes import Listing, list_route, reads
from invoicing.api.documents import pdf_response
from invoicing.api.schemas import CreditNoteListArgs, CreditNoteSchema
from invoicing.bootstrap import Deps
from invoicing.domain.credit_notes import CreditNote
from invoicing.service_layer import credit_notes, documents

blp = Blueprint(
    "credit_notes", __name__, url_prefix="/api/v1/CreditNotes", description="Credit notes of refunds"
)


list_route(
    blp,
    "",
    "invoices:read",
    Listing(CreditNoteListArgs, CreditNoteSchema, credit_notes.list_credit_notes, CreditNote.to_data),
)


@blp.route("/<string:note_id>")
class CreditNoteItem(MethodView):
    @reads(blp, "invoices:read", response=CreditNoteSchema)
    def get(self, note_id: str) -> Response:
        """One credit note: its number, the invoice it credits, the refund and the amount."""
        with reading() as uow:
            note = credit_notes.get_credit_note(uow, caller_scope(), note_id)
        return resource_response(note.to_data())


@blp.route("/<string:note_id>/pdf")
class CreditNotePdf(MethodView):
    @requires("invoices:read")
    @blp.doc(
        security=BEARER, responses={"200": {"description": "the PDF", "content": {"application/pdf": {}}}}
    )
    def get(self, note_id: str) -> Response:
        """The credit note as a PDF, in the invoice's layout titled "Credit note"."""
        return pdf_response(documents.credit_note_pdf(deps(Deps), caller_scope(), note_id))
