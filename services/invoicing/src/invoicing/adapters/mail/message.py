"""The invoice e-mail: subject with the number, a plain-text and an HTML body with the hosted invoice
URL, and the PDF attached as `<number>.pdf`."""

from __future__ import annotations

from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from html import escape

from invoicing.domain.documents import pdf_filename


def build_invoice_message(
    *,
    sender: str | Address,
    to: str | Address,
    number: str,
    seller_name: str,
    total: str,
    hosted_url: str,
    pdf: bytes,
    due_date: str | None = None,
    reply_to: str | None = None,
    message_id: str | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    """The e-mail for a finalized invoice. `total` and `due_date` are display strings already
    formatted for the customer's locale (invoicing.domain.formatting.format_money)."""
    msg = EmailMessage()
    msg["Subject"] = f"Invoice {number} from {seller_name}"
    msg["From"] = sender
    msg["To"] = to
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    sender_domain = (sender.domain if isinstance(sender, Address) else str(sender).rpartition("@")[2]).strip(
        ">"
    )
    msg["Message-ID"] = message_id or make_msgid(domain=sender_domain or None)

    due = f"\nDue date: {due_date}" if due_date else ""
    msg.set_content(
        f"Hello,\n\n"
        f"here is invoice {number} from {seller_name}.\n\n"
        f"Amount: {total}{due}\n\n"
        f"View it online: {hosted_url}\n\n"
        f"The invoice is attached as a PDF.\n"
    )
    e = escape
    due_html = f"<tr><td>Due date</td><td><strong>{e(due_date)}</strong></td></tr>" if due_date else ""
    msg.add_alternative(
        f"""<!DOCTYPE html>
<html><body style="font-family:system-ui,sans-serif;color:#1f2328">
<p>Hello,</p>
<p>here is invoice <strong>{e(number)}</strong> from {e(seller_name)}.</p>
<table><tr><td>Amount</td><td><strong>{e(total)}</strong></td></tr>{due_html}</table>
<p><a href="{e(hosted_url, quote=True)}">View invoice {e(number)} online</a></p>
<p>The invoice is attached as a PDF.</p>
</body></html>
""",
        subtype="html",
    )
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=pdf_filename(number))
    return msg
