"""Invoice documents: the PDF, the hosted invoice page and its signed URL token.

Pure and framework-free: give it an `InvoiceDocument`, get bytes or text back.
"""

from .format import format_money, format_rate, minor_to_decimal
from .html import render_html
from .model import Buyer, DocumentLine, InvoiceDocument, Seller, TaxGroup
from .pdf import render_pdf
from .token import (
    ExpiredHostedToken,
    HostedTokenError,
    InvalidHostedToken,
    hosted_url_token,
    verify_hosted_token,
)

__all__ = [
    "Buyer",
    "DocumentLine",
    "ExpiredHostedToken",
    "HostedTokenError",
    "InvalidHostedToken",
    "InvoiceDocument",
    "Seller",
    "TaxGroup",
    "format_money",
    "format_rate",
    "hosted_url_token",
    "minor_to_decimal",
    "render_html",
    "render_pdf",
    "verify_hosted_token",
]
