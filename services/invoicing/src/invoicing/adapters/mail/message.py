"""An e-mail from its templates (`templates/mail/<kind>.txt` and `.html`): a plain-text part, an
HTML alternative with the merchant's logo as a related part, and the PDF attached when there is
one; subject and body in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from invoicing.adapters.i18n import gettext, language, templates
from invoicing.domain.document_content import N_
from invoicing.domain.documents import Logo
from invoicing.domain.mail import INVOICE, PAYMENT_FAILED, RECEIPT, SUBSCRIPTION_CANCELED, TRIAL_ENDING

SUBJECTS = {
    INVOICE: N_("Invoice %(number)s from %(seller)s"),
    RECEIPT: N_("Receipt for invoice %(number)s from %(seller)s"),
    PAYMENT_FAILED: N_("Payment of invoice %(number)s failed"),
    TRIAL_ENDING: N_("Your trial with %(seller)s ends on %(trial_end)s"),
    SUBSCRIPTION_CANCELED: N_("Your subscription with %(seller)s has been cancelled"),
}


@dataclass(frozen=True)
class Attachment:
    data: bytes = field(repr=False)
    filename: str
    maintype: str = "application"
    subtype: str = "pdf"


def sender_domain(sender: str | Address) -> str | None:
    domain = sender.domain if isinstance(sender, Address) else str(sender).rpartition("@")[2].strip("> ")
    return domain or None


def message_id_for(mail_id: str, sender: str | Address) -> str:
    """A queued mail's Message-ID, fixed when it is queued: a try again after a crash sends the
    same one, which lets a mailbox recognise the copy."""
    return f"<{mail_id}@{sender_domain(sender) or 'localhost'}>"


def compose(
    *,
    kind: str,
    locale: str,
    sender: str | Address,
    to: str | Address,
    context: dict[str, Any],
    message_id: str | None = None,
    reply_to: str | None = None,
    logo: Logo | None = None,
    attachment: Attachment | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    """The mail `kind` (a template name) for `context`, which holds display strings already
    formatted for `locale` (money, dates) and the values the subject names."""
    lang = language(locale)
    subject = gettext(locale, SUBJECTS[kind], **{k: str(v) for k, v in context.items() if isinstance(v, str)})
    env = templates(lang)
    logo_cid = make_msgid(domain=sender_domain(sender))[1:-1] if logo else None
    values = {"lang": lang, "subject": subject, "logo_cid": logo_cid, **context}
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = to
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = message_id or make_msgid(domain=sender_domain(sender))
    msg.set_content(env.get_template(f"mail/{kind}.txt").render(values))
    msg.add_alternative(env.get_template(f"mail/{kind}.html").render(values), subtype="html")
    if logo is not None and logo_cid:
        html = next(part for part in msg.iter_parts() if part.get_content_type() == "text/html")
        maintype, _, subtype = logo.content_type.partition("/")
        html.add_related(logo.data, maintype=maintype, subtype=subtype, cid=f"<{logo_cid}>")
    if attachment is not None:
        msg.add_attachment(
            attachment.data,
            maintype=attachment.maintype,
            subtype=attachment.subtype,
            filename=attachment.filename,
        )
    msg["Content-Language"] = lang  # after the parts: setting content clears Content-* headers
    return msg
