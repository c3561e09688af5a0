"""The hosted invoice page: one self-contained HTML document (inline CSS, no scripts, no outside
assets), every value escaped."""

from __future__ import annotations

from html import escape

from invoicing.adapters.documents.view import invoice_view
from invoicing.domain.documents import InvoiceDocument

_CSS = (
    "*{box-sizing:border-box}"
    "body{margin:0;background:#f4f5f7;color:#1f2328;"
    'font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}'
    "main{max-width:860px;margin:32px auto;background:#fff;padding:40px;border-radius:8px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.08)}"
    "header{display:flex;justify-content:space-between;gap:24px;flex-wrap:wrap}"
    "h1{margin:0 0 4px;font-size:26px}"
    "dl{display:grid;grid-template-columns:auto auto;gap:2px 16px;margin:0}"
    "dt{color:#656d76}"
    "dd{margin:0;font-weight:600}"
    ".status{display:inline-block;padding:2px 10px;border-radius:12px;font-size:13px;"
    "font-weight:700;background:#eef}"
    ".status-paid{background:#dafbe1;color:#116329}"
    ".status-void,.status-uncollectible{background:#ffebe9;color:#a40e26}"
    ".parties{display:flex;gap:24px;margin:32px 0;flex-wrap:wrap}"
    ".parties section{flex:1;min-width:220px}"
    ".label{color:#656d76;font-size:12px;text-transform:uppercase;letter-spacing:.04em}"
    "p{margin:0}"
    "table{width:100%;border-collapse:collapse;margin-top:8px}"
    "th,td{padding:8px 6px;text-align:right;border-bottom:1px solid #e5e7eb;vertical-align:top}"
    "th:first-child,td:first-child{text-align:left}"
    "thead th{border-bottom:2px solid #1f2328;font-size:13px}"
    ".summary{margin-left:auto;max-width:420px}"
    ".summary .total td{font-weight:700;font-size:17px;border-bottom:none}"
    ".pay-button{display:inline-block;margin:16px 0 8px;padding:10px 28px;border-radius:6px;"
    "background:#1f6feb;color:#fff;font-weight:600;text-decoration:none}"
    "@media print{body{background:#fff}"
    "main{box-shadow:none;margin:0}"
    "}"
)


_LINE_HEAD = "".join(
    f"<th>{h}</th>" for h in ("Description", "Qty", "Unit price", "Discount", "Tax rate", "Tax", "Amount")
)


def _slug(label: str) -> str:
    """'Invoice number' -> 'invoice-number' (stable ids for the page's tests and scrapers)."""
    return "-".join(label.lower().split())


def _e(text: str) -> str:
    return escape(text, quote=True)


def render_html(doc: InvoiceDocument, *, pdf_url: str | None = None, pay_url: str | None = None) -> str:
    """The hosted invoice page for `doc` as a complete HTML document; `pdf_url`, when given, is
    linked as "Download PDF" (e.g. the same signed hosted URL + "/pdf"), `pay_url` (an open
    invoice's) as its Pay button."""
    v = invoice_view(doc)
    status_class = "status-" + "".join(c for c in doc.status.lower() if c.isalnum() or c == "-")
    meta = [(f"{v.kind} number", v.number), ("Issue date", v.issue_date)]
    if v.due_date:
        meta.append(("Due date", v.due_date))
    meta_html = "".join(f'<dt>{_e(k)}</dt><dd id="{_slug(k)}">{_e(val)}</dd>' for k, val in meta)

    def party(label: str, name: str, lines: tuple[str, ...]) -> str:
        rest = "".join(f"<p>{_e(line)}</p>" for line in lines)
        return f'<section><p class="label">{_e(label)}</p><p><strong>{_e(name)}</strong></p>{rest}</section>'

    line_rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{_e(cell)}</td>"
            for cell in (
                line.description,
                line.quantity,
                line.unit_price,
                line.discount,
                line.tax_rate,
                line.tax,
                line.total,
            )
        )
        + "</tr>"
        for line in v.lines
    )
    tax_rows = "".join(
        f"<tr><td>{_e(rate)}</td><td>{_e(net)}</td><td>{_e(tax)}</td></tr>" for rate, net, tax in v.taxes
    )
    total_rows = "".join(
        f'<tr class="{_slug(label)}"><td>{_e(label)}</td><td id="{_slug(label)}">{_e(amount)}</td></tr>'
        for label, amount in v.totals
    )
    seller = party("From", v.seller_name, v.seller_lines)
    buyer = party("Bill to", v.buyer_name, v.buyer_lines)
    notes = "".join(f"<p>{_e(n)}</p>" for n in v.notes)
    if pay_url:
        notes += (
            f'<p class="pay"><a class="pay-button" id="pay" href="{_e(pay_url)}">Pay this invoice</a></p>'
        )
    if pdf_url:
        notes += f'<p class="download"><a href="{_e(pdf_url)}" download>Download PDF</a></p>'
    lang = _e(doc.locale.replace("_", "-"))
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>{_e(v.title)} - {_e(v.seller_name)}</title>
<style>{_CSS}</style>
</head>
<body>
<main>
<header>
<div><h1>{_e(v.title)}</h1><span class="status {_e(status_class)}" id="status">{_e(v.status)}</span></div>
<dl>{meta_html}</dl>
</header>
<div class="parties">{seller}{buyer}</div>
<table class="lines">
<thead><tr>{_LINE_HEAD}</tr></thead>
<tbody>{line_rows}</tbody>
</table>
<table class="summary">
<thead><tr><th>Taxes by rate</th><th>Net</th><th>Tax</th></tr></thead>
<tbody>{tax_rows}</tbody>
</table>
<table class="summary totals" id="totals"><tbody>{total_rows}</tbody></table>
{notes}
</main>
</body>
</html>
"""
