"""The invoice as a real PDF, drawn with ReportLab (platypus), in a Unicode TrueType font."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from invoicing.adapters.documents.view import invoice_view
from invoicing.domain.documents import InvoiceDocument

_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF")
_FONT_CANDIDATES = tuple((f"{d}/DejaVuSans.ttf", f"{d}/DejaVuSans-Bold.ttf") for d in _FONT_DIRS)


@cache
def _fonts() -> tuple[str, str]:
    """(regular, bold): DejaVu Sans when the system has it (wide coverage: €, ₹, narrow spaces),
    else Bitstream Vera, which ships with ReportLab."""
    for regular, bold in _FONT_CANDIDATES:
        if Path(regular).is_file() and Path(bold).is_file():
            pdfmetrics.registerFont(TTFont("InvoiceSans", regular))
            pdfmetrics.registerFont(TTFont("InvoiceSans-Bold", bold))
            return "InvoiceSans", "InvoiceSans-Bold"
    pdfmetrics.registerFont(TTFont("InvoiceVera", "Vera.ttf"))
    pdfmetrics.registerFont(TTFont("InvoiceVera-Bold", "VeraBd.ttf"))
    return "InvoiceVera", "InvoiceVera-Bold"


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def render_pdf(doc: InvoiceDocument) -> bytes:
    """The invoice's PDF: seller, buyer (address, tax id), number, dates, status, every line,
    taxes per rate, discount and totals formatted for the currency and the locale."""
    regular, bold = _fonts()
    v = invoice_view(doc)
    body = ParagraphStyle("body", fontName=regular, fontSize=9, leading=12)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10)
    right = ParagraphStyle("right", parent=body, alignment=TA_RIGHT)
    head = ParagraphStyle("head", parent=body, fontName=bold, fontSize=18, leading=22)
    strong = ParagraphStyle("strong", parent=body, fontName=bold)

    buf = io.BytesIO()
    pdf = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=v.title,
        author=v.seller_name,
        subject=f"{v.title} for {v.buyer_name}",
        creator="billing-invoicing",
    )
    story: list[object] = []

    meta = [
        [f"{v.kind} number", v.number],
        ["Issue date", v.issue_date],
        *([["Due date", v.due_date]] if v.due_date else []),
        ["Status", v.status],
    ]
    header = Table(
        [
            [
                _p(v.title, head),
                Table(
                    [[_p(k, small), _p(val, strong)] for k, val in meta],
                    colWidths=[30 * mm, 45 * mm],
                    style=[("VALIGN", (0, 0), (-1, -1), "TOP")],
                ),
            ]
        ],
        colWidths=[99 * mm, 75 * mm],
        style=[("VALIGN", (0, 0), (-1, -1), "TOP")],
    )
    story += [header, Spacer(1, 8 * mm)]

    def party(label: str, name: str, lines: tuple[str, ...]) -> list[Paragraph]:
        return [_p(label, small), _p(name, strong), *(_p(line, body) for line in lines)]

    parties = Table(
        [[party("From", v.seller_name, v.seller_lines), party("Bill to", v.buyer_name, v.buyer_lines)]],
        colWidths=[87 * mm, 87 * mm],
        style=[("VALIGN", (0, 0), (-1, -1), "TOP")],
    )
    story += [parties, Spacer(1, 8 * mm)]

    rows: list[list[object]] = [
        [_p(h, strong) for h in ("Description", "Qty", "Unit price", "Discount", "Tax rate", "Tax", "Amount")]
    ]
    for line in v.lines:
        rows.append(
            [
                _p(line.description, body),
                _p(line.quantity, right),
                _p(line.unit_price, right),
                _p(line.discount, right),
                _p(line.tax_rate, right),
                _p(line.tax, right),
                _p(line.total, right),
            ]
        )
    lines_table = Table(
        rows,
        colWidths=[54 * mm, 12 * mm, 24 * mm, 22 * mm, 18 * mm, 20 * mm, 24 * mm],
        repeatRows=1,
    )
    lines_table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [lines_table, Spacer(1, 6 * mm)]

    summary: list[list[object]] = [[_p("Taxes by rate", strong), _p("Net", right), _p("Tax", right)]]
    summary += [[_p(rate, body), _p(net, right), _p(tax, right)] for rate, net, tax in v.taxes]
    summary.append(["", "", ""])
    for i, (label, amount) in enumerate(v.totals):
        style = strong if label in ("Total", "Amount due") else body
        amount_style = ParagraphStyle(f"t{i}", parent=style, alignment=TA_RIGHT)
        summary.append(["", _p(label, style), _p(amount, amount_style)])
    totals_table = Table(summary, colWidths=[84 * mm, 45 * mm, 45 * mm])
    totals_table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black)]))
    story.append(totals_table)

    if v.notes:
        story.append(Spacer(1, 8 * mm))
        story += [_p(note, small) for note in v.notes]

    pdf.build(story)
    return buf.getvalue()
