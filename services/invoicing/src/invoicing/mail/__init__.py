"""Sending invoices by e-mail: the message (PDF attached) and the mailers (SMTP or a local sink).

Framework-free: the invoicing API builds a message with `build_invoice_message` and sends it with
`mailer_from_settings(MailSettings.from_env()).send(msg)`.
"""

from .mailer import (
    FileSinkMailer,
    MailConfigError,
    MailDeliveryError,
    Mailer,
    MailError,
    MailSettings,
    SentMail,
    SmtpMailer,
    mailer_from_settings,
)
from .message import build_invoice_message, pdf_filename

__all__ = [
    "FileSinkMailer",
    "MailConfigError",
    "MailDeliveryError",
    "MailError",
    "MailSettings",
    "Mailer",
    "SentMail",
    "SmtpMailer",
    "build_invoice_message",
    "mailer_from_settings",
    "pdf_filename",
]
