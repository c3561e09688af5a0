"""The hosted invoice page: one self-contained HTML document (inline CSS, the logo inlined, no
scripts, nothing loaded from elsewhere) from the `invoice.html` template, every value escaped."""

from __future__ import annotations

from invoicing.adapters.documents.view import invoice_view
from invoicing.adapters.i18n import templates
from invoicing.domain.documents import InvoiceDocument


def render_html(doc: InvoiceDocument, *, pdf_url: str | None = None, pay_url: str | None = None) -> str:
    """The hosted invoice page for `doc` in its reader's language; `pdf_url`, when given, is
    linked as "Download PDF" (the same signed hosted URL + "/pdf"), `pay_url` (an open invoice's)
    as its Pay button."""
    v = invoice_view(doc)
    page = templates(v.lang).get_template("invoice.html")
    return page.render(v=v, pdf_url=pdf_url, pay_url=pay_url)
