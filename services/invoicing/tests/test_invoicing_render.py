"""What the documents of a stored invoice and its credit notes show, without a database: the buyer
from the customer projection, the customer's locale, and a partial credit note whose lines add up
to the refund exactly."""

from __future__ import annotations

from datetime import UTC, datetime

from documents_testing import customer_created
from invoicing_testing import priced

from invoicing.bootstrap import invoice_settings
from invoicing.config import InvoicingSettings
from invoicing.domain import invoices
from invoicing.domain.credit_notes import issue
from invoicing.domain.document_content import DocumentTerms, credit_note_document, invoice_document, parties

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def _open_invoice() -> invoices.Invoice:
    inv, _ = invoices.draft(
        invoice_id="in_1", order_id="ord_1", customer_id="cus_1", priced=priced(), now=NOW
    )
    opened, _ = invoices.finalize(inv, number="INV-2026-000009", settings_revision=0, now=NOW)
    return opened


def document_terms(settings: InvoicingSettings) -> DocumentTerms:
    return DocumentTerms(invoice_settings(settings), settings.default_locale)


def test_buyer_address_tax_id_and_locale_come_from_the_customer() -> None:
    settings = InvoicingSettings()
    terms = document_terms(settings)
    customer = customer_created("cus_1", metadata={"locale": "de-DE"})
    party = parties(terms, "cus_1", customer)
    assert party.locale == "de_DE" and party.buyer.tax_id == "GB123456789"
    chosen = customer_created("cus_1", metadata={"locale": "de-DE"}) | {"preferredLocale": "fr"}
    assert parties(terms, "cus_1", chosen).locale == "fr"  # the field wins over the old metadata
    assert party.buyer.address_lines == ("12 Analytical Row", "NW1 6XE London", "GB")
    doc = invoice_document(_open_invoice(), party, terms)
    assert doc.number == "INV-2026-000009" and doc.due_date is not None
    assert (doc.due_date - doc.issue_date).days == settings.payment_terms_days
    unknown = parties(terms, "cus_2", None)
    assert unknown.buyer.name == "cus_2" and unknown.buyer.email == "" and unknown.locale == "en_US"
    assert (
        parties(terms, "cus_1", customer_created("cus_1", metadata={"locale": "xx_nope"})).locale == "en_US"
    )


def test_a_partial_credit_note_splits_the_refund_over_the_lines_exactly() -> None:
    inv = _open_invoice()
    terms = document_terms(InvoicingSettings())
    party = parties(terms, "cus_1", customer_created("cus_1"))
    for amount in (1, 999, 1000, inv.total - 1):
        note, events = issue(
            note_id="cn_1",
            seq=3,
            invoice=inv,
            refund_id="re_1",
            amount=amount,
            payment_intent_id="pi_1",
            settings_revision=0,
            now=NOW,
        )
        doc = credit_note_document(note, inv, party, terms)
        assert sum(line.total for line in doc.lines) == amount == doc.total
        assert doc.subtotal + doc.tax_total == amount and doc.kind == "credit_note"
        assert all(0 <= line.tax <= line.total for line in doc.lines)
        assert note.number == "CN-2026-000003" and events[0].data["invoiceNumber"] == inv.number
    full = credit_note_document(
        issue(
            note_id="cn_2",
            seq=4,
            invoice=inv,
            refund_id="re_2",
            amount=inv.total,
            payment_intent_id=None,
            settings_revision=0,
            now=NOW,
        )[0],
        inv,
        party,
        terms,
    )
    assert full.tax_total == inv.priced.tax_total and [line.total for line in full.lines] == [
        line.total for line in inv.priced.lines
    ]
