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
from reportlab.platypus import Flowable, Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from svglib.svglib import svg2rlg

from invoicing.adapters.documents.view import invoice_view
from invoicing.domain.documents import InvoiceDocument, Logo

_LOGO_BOX = (60 * mm, 18 * mm)  # the logo is scaled down (never up) to fit this box

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


def _logo(logo: Logo) -> Flowable | None:
    """The stored (already sanitised) logo as a flowable that fits `_LOGO_BOX`."""
    max_w, max_h = _LOGO_BOX
    if logo.content_type == "image/svg+xml":
        drawing = svg2rlg(io.BytesIO(logo.data))
        if drawing is None or not drawing.width or not drawing.height:
            return None
        scale = min(1.0, max_w / drawing.width, max_h / drawing.height)
        drawing.scale(scale, scale)
        drawing.width, drawing.height = drawing.width * scale, drawing.height * scale
        drawing.hAlign = "LEFT"
        return drawing
    img = Image(io.BytesIO(logo.data))
    scale = min(1.0, max_w / img.imageWidth, max_h / img.imageHeight)
    img.drawWidth, img.drawHeight = img.imageWidth * scale, img.imageHeight * scale
    img.hAlign = "LEFT"
    return img


def render_pdf(doc: InvoiceDocument) -> bytes:
    """The invoice's PDF: logo, seller, buyer (address, tax id), number, dates, status, every
    line, taxes per rate, discount and totals formatted for the currency, in the reader's language."""
    regular, bold = _fonts()
    v = invoice_view(doc)
    label = v.labels
    body = ParagraphStyle("body", fontName=regular, fontSize=9, leading=12)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10)
    right = ParagraphStyle("right", parent=body, alignment=TA_RIGHT)
    accent = colors.HexColor(v.accent_color)
    head = ParagraphStyle("head", parent=body, fontName=bold, fontSize=18, leading=22, textColor=accent)
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
        subject=f"{v.title} - {v.buyer_name}",
        creator="billing-invoicing",
        lang=v.lang,
    )
    story: list[object] = []
    logo = _logo(doc.logo) if doc.logo else None
    if logo is not None:
        story += [logo, Spacer(1, 4 * mm)]

    meta = [
        [v.number_label, v.number],
        [label["issue_date"], v.issue_date],
        *([[label["due_date"], v.due_date]] if v.due_date else []),
        [label["status"], v.status],
    ]
    header = Table(
        [
            [
                _p(v.title, head),
                Table(
                    [[_p(k, small), _p(val, strong)] for k, val in meta],
                    colWidths=[36 * mm, 39 * mm],
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
        [
            [
                party(label["from"], v.seller_name, v.seller_lines),
                party(label["bill_to"], v.buyer_name, v.buyer_lines),
            ]
        ],
        colWidths=[87 * mm, 87 * mm],
        style=[("VALIGN", (0, 0), (-1, -1), "TOP")],
    )
    story += [parties, Spacer(1, 8 * mm)]

    rows: list[list[object]] = [
        [
            _p(label[key], strong)
            for key in ("description", "quantity", "unit_price", "discount", "tax_rate", "tax", "amount")
        ]
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
        colWidths=[50 * mm, 15 * mm, 24 * mm, 22 * mm, 19 * mm, 20 * mm, 24 * mm],
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

    summary: list[list[object]] = [
        [_p(label["taxes_by_rate"], strong), _p(label["net"], right), _p(label["tax"], right)]
    ]
    summary += [[_p(rate, body), _p(net, right), _p(tax, right)] for rate, net, tax in v.taxes]
    summary.append(["", "", ""])
    for i, (key, name, amount) in enumerate(v.totals):
        style = strong if key in ("total", "amount-due") else body
        amount_style = ParagraphStyle(f"t{i}", parent=style, alignment=TA_RIGHT)
        summary.append(["", _p(name, style), _p(amount, amount_style)])
    totals_table = Table(summary, colWidths=[84 * mm, 45 * mm, 45 * mm])
    totals_table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black)]))
    story.append(totals_table)

    if v.notes:
        story.append(Spacer(1, 8 * mm))
        story += [_p(note, small) for note in v.notes]
    if v.footer or v.support:
        story.append(Spacer(1, 8 * mm))
        story += [_p(text, small) for text in (v.footer, v.support) if text]

    pdf.build(story)
    return buf.getvalue()
