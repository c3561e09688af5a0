"""What both renderings (the hosted page and the PDF) show, as display strings in the reader's
language: one place decides the wording, the translation and the formatting."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from invoicing.adapters.i18n import gettext, language
from invoicing.domain.document_content import N_
from invoicing.domain.documents import InvoiceDocument, Note
from invoicing.domain.formatting import format_day, format_money, format_rate

STATUS_LABELS = {
    "draft": N_("DRAFT"),
    "open": N_("OPEN - payment due"),
    "paid": N_("PAID"),
    "void": N_("VOID"),
    "uncollectible": N_("UNCOLLECTIBLE"),
    "issued": N_("ISSUED"),
}
KINDS = {"invoice": N_("Invoice"), "credit_note": N_("Credit note")}
NUMBER_LABELS = {"invoice": N_("Invoice number"), "credit_note": N_("Credit note number")}
# The table's and the summary's headings, by key (the templates and the PDF use the same keys).
LABELS = {
    "issue_date": N_("Issue date"),
    "due_date": N_("Due date"),
    "status": N_("Status"),
    "from": N_("From"),
    "bill_to": N_("Bill to"),
    "description": N_("Description"),
    "quantity": N_("Qty"),
    "unit_price": N_("Unit price"),
    "discount": N_("Discount"),
    "tax_rate": N_("Tax rate"),
    "tax": N_("Tax"),
    "amount": N_("Amount"),
    "taxes_by_rate": N_("Taxes by rate"),
    "net": N_("Net"),
    "pay": N_("Pay this invoice"),
    "download": N_("Download PDF"),
}


@dataclass(frozen=True)
class LineView:
    description: str
    quantity: str
    unit_price: str
    discount: str
    tax_rate: str
    tax: str
    total: str


@dataclass(frozen=True)
class InvoiceView:
    lang: str  # "de": the page's `<html lang>` and the catalogue used
    title: str  # "Rechnung RE-2026-000001"
    number_label: str
    number_key: str  # "invoice-number" | "credit-note-number": the page's stable id
    number: str
    status: str
    status_key: str  # "paid": the page's CSS class
    issue_date: str
    due_date: str
    seller_name: str
    seller_lines: tuple[str, ...]  # address lines, then the tax id
    buyer_name: str
    buyer_lines: tuple[str, ...]  # e-mail, address lines, then the tax id
    lines: tuple[LineView, ...]
    taxes: tuple[tuple[str, str, str], ...]  # (rate, net, tax)
    totals: tuple[tuple[str, str, str], ...]  # (key, label, amount): "subtotal", …, "total", "amount-due"
    notes: tuple[str, ...]
    footer: str
    support: str  # "Questions? Write to …", or ""
    labels: dict[str, str]
    accent_color: str
    logo_data_uri: str | None  # the logo inlined: the hosted page loads nothing from elsewhere


def status_label(status: str, locale: str) -> str:
    return gettext(locale, STATUS_LABELS[status]) if status in STATUS_LABELS else status.upper()


def _note(note: Note, locale: str) -> str:
    return note.text if note.verbatim else gettext(locale, note.text, **dict(note.params))


def invoice_view(doc: InvoiceDocument) -> InvoiceView:
    loc = doc.locale

    def _(message: str, **params: str) -> str:
        return gettext(loc, message, **params)

    def money(amount: int) -> str:
        return format_money(amount, doc.currency, loc)

    def tax_id(value: str) -> str:
        return _("Tax ID: %(id)s", id=value)

    number = doc.number or _("DRAFT")
    seller_lines = doc.seller.address_lines + ((tax_id(doc.seller.tax_id),) if doc.seller.tax_id else ())
    buyer_lines = (
        (doc.buyer.email,)
        + doc.buyer.address_lines
        + ((tax_id(doc.buyer.tax_id),) if doc.buyer.tax_id else ())
    )
    lines = tuple(
        LineView(
            description=_("%(name)s (partial credit)", name=line.description)
            if line.partial
            else line.description,
            quantity=str(line.quantity),
            unit_price=money(line.unit_price),
            discount=money(-line.discount) if line.discount else "",
            tax_rate=format_rate(line.tax_rate, loc),
            tax=money(line.tax),
            total=money(line.total),
        )
        for line in doc.lines
    )
    taxes = tuple(
        (_("Tax %(rate)s", rate=format_rate(g.rate, loc)), money(g.net), money(g.tax))
        for g in doc.taxes_by_rate
    )
    totals: list[tuple[str, str, str]] = [("subtotal", _("Subtotal"), money(doc.subtotal))]
    if doc.discount_total:
        totals.append(("discount", _("Discount"), money(-doc.discount_total)))
    totals.append(("tax", _("Tax"), money(doc.tax_total)))
    totals.append(("total", _("Total"), money(doc.total)))
    if doc.status == "paid":
        totals.append(("amount-due", _("Amount due"), money(0)))
    elif doc.status == "open":
        totals.append(("amount-due", _("Amount due"), money(doc.total)))
    logo = None
    if doc.logo is not None:
        logo = f"data:{doc.logo.content_type};base64,{base64.b64encode(doc.logo.data).decode()}"
    kind = doc.kind if doc.kind in KINDS else "invoice"
    return InvoiceView(
        lang=language(loc),
        title=f"{_(KINDS[kind])} {number}",
        number_label=_(NUMBER_LABELS[kind]),
        number_key=kind.replace("_", "-") + "-number",
        number=number,
        status=status_label(doc.status, loc),
        status_key="".join(c for c in doc.status.lower() if c.isalnum() or c == "-"),
        issue_date=format_day(doc.issue_date, loc),
        due_date=format_day(doc.due_date, loc) if doc.due_date else "",
        seller_name=doc.seller.name,
        seller_lines=seller_lines,
        buyer_name=doc.buyer.name,
        buyer_lines=buyer_lines,
        lines=lines,
        taxes=taxes,
        totals=tuple(totals),
        notes=tuple(_note(n, loc) for n in doc.notes),
        footer=doc.footer or "",
        support=_("Questions? Write to %(email)s", email=doc.support_email) if doc.support_email else "",
        labels={key: _(label) for key, label in LABELS.items()},
        accent_color=doc.accent_color,
        logo_data_uri=logo,
    )
