"""What both renderings show, as display strings: one place decides the wording and the formatting."""

from __future__ import annotations

from dataclasses import dataclass

from invoicing.domain.documents import InvoiceDocument
from invoicing.domain.formatting import format_day, format_money, format_rate

STATUS_LABELS = {
    "draft": "DRAFT",
    "open": "OPEN - payment due",
    "paid": "PAID",
    "void": "VOID",
    "uncollectible": "UNCOLLECTIBLE",
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
    title: str
    kind: str  # "Invoice" | "Credit note": labels the number
    number: str
    status: str
    issue_date: str
    due_date: str
    seller_name: str
    seller_lines: tuple[str, ...]  # address lines, then "Tax ID: ..."
    buyer_name: str
    buyer_lines: tuple[str, ...]  # e-mail, address lines, then "Tax ID: ..."
    lines: tuple[LineView, ...]
    taxes: tuple[tuple[str, str, str], ...]  # (rate, net, tax)
    totals: tuple[tuple[str, str], ...]  # (label, amount), the last one is the total
    notes: tuple[str, ...]


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.upper())


def invoice_view(doc: InvoiceDocument) -> InvoiceView:
    def money(amount: int) -> str:
        return format_money(amount, doc.currency, doc.locale)

    number = doc.number or "DRAFT"
    seller_lines = doc.seller.address_lines + ((f"Tax ID: {doc.seller.tax_id}",) if doc.seller.tax_id else ())
    buyer_lines = (
        (doc.buyer.email,)
        + doc.buyer.address_lines
        + ((f"Tax ID: {doc.buyer.tax_id}",) if doc.buyer.tax_id else ())
    )
    lines = tuple(
        LineView(
            description=line.description,
            quantity=str(line.quantity),
            unit_price=money(line.unit_price),
            discount=money(-line.discount) if line.discount else "",
            tax_rate=format_rate(line.tax_rate, doc.locale),
            tax=money(line.tax),
            total=money(line.total),
        )
        for line in doc.lines
    )
    taxes = tuple(
        (f"Tax {format_rate(g.rate, doc.locale)}", money(g.net), money(g.tax)) for g in doc.taxes_by_rate
    )
    totals: list[tuple[str, str]] = [("Subtotal", money(doc.subtotal))]
    if doc.discount_total:
        totals.append(("Discount", money(-doc.discount_total)))
    totals.append(("Tax", money(doc.tax_total)))
    totals.append(("Total", money(doc.total)))
    if doc.status == "paid":
        totals.append(("Amount due", money(0)))
    elif doc.status == "open":
        totals.append(("Amount due", money(doc.total)))
    return InvoiceView(
        title=f"{doc.kind} {number}",
        kind=doc.kind,
        number=number,
        status=status_label(doc.status),
        issue_date=format_day(doc.issue_date, doc.locale),
        due_date=format_day(doc.due_date, doc.locale) if doc.due_date else "",
        seller_name=doc.seller.name,
        seller_lines=seller_lines,
        buyer_name=doc.buyer.name,
        buyer_lines=buyer_lines,
        lines=lines,
        taxes=taxes,
        totals=tuple(totals),
        notes=doc.notes,
    )
