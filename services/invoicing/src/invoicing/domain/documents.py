"""The plain invoice record the documents are rendered from: no ORM, no Flask, only values.

Money is integer minor units of `currency` (the ISO 4217 exponent decides); tax rates are exact
decimal strings ("0.2"). Nothing here computes money again: the taxes per rate are the lines'
own figures grouped by rate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from billing_shared.money import exponent


@dataclass(frozen=True)
class Logo:
    """The merchant's logo as stored: sanitised PNG or SVG bytes."""

    data: bytes = field(repr=False)
    content_type: str  # image/png | image/svg+xml


@dataclass(frozen=True)
class Seller:
    name: str
    address_lines: tuple[str, ...] = ()
    tax_id: str | None = None


@dataclass(frozen=True)
class Buyer:
    name: str
    email: str
    address_lines: tuple[str, ...] = ()
    tax_id: str | None = None


@dataclass(frozen=True)
class DocumentLine:
    description: str
    quantity: int
    unit_price: int  # minor units
    discount: int  # minor units, the line's share of the coupon
    tax_rate: str  # exact decimal string, "0.2" for 20 %
    tax: int  # minor units (exclusive: on top; inclusive: inside the line's amount)
    total: int  # minor units, what the line adds to the invoice total
    partial: bool = False  # a credit note's share of the line, not the whole of it

    def __post_init__(self) -> None:
        for name in ("quantity", "unit_price", "discount", "tax", "total"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"DocumentLine.{name} must be an int (minor units), not {value!r}")
        try:
            Decimal(self.tax_rate)
        except (InvalidOperation, TypeError):
            msg = f"DocumentLine.tax_rate must be an exact decimal string, not {self.tax_rate!r}"
            raise ValueError(msg) from None

    @property
    def net(self) -> int:
        """The line's amount without tax (total minus its tax, whichever kind the tax was)."""
        return self.total - self.tax


@dataclass(frozen=True)
class Note:
    """A line under the totals: one of our messages (an English message id, translated for the
    reader, its `%(name)s` values filled in already formatted) or the merchant's own words
    (`verbatim`: a memo, shown as written)."""

    text: str
    params: tuple[tuple[str, str], ...] = ()
    verbatim: bool = False


@dataclass(frozen=True)
class TaxGroup:
    rate: str  # exact decimal string as on the lines
    net: int  # sum of the lines' amounts without tax at this rate
    tax: int  # sum of the lines' taxes at this rate


@dataclass(frozen=True)
class InvoiceDocument:
    seller: Seller
    buyer: Buyer
    number: str | None  # None for a draft
    issue_date: date
    due_date: date | None
    currency: str
    locale: str  # "en_US", "de_DE"
    lines: tuple[DocumentLine, ...]
    subtotal: int
    discount_total: int
    tax_total: int
    total: int
    status: str  # "draft", "open", "paid", "void", "uncollectible"
    notes: tuple[Note, ...] = field(default=())
    # "invoice", or "credit_note" for the same layout crediting money back on an invoice.
    kind: str = "invoice"
    footer: str | None = None  # the merchant's last words on the document, shown as written
    logo: Logo | None = None
    accent_color: str = "#1f6feb"
    support_email: str | None = None

    def __post_init__(self) -> None:
        exponent(self.currency)  # raises UnknownCurrency for anything that cannot be billed
        for name in ("subtotal", "discount_total", "tax_total", "total"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"InvoiceDocument.{name} must be an int (minor units), not {value!r}")

    @property
    def taxes_by_rate(self) -> tuple[TaxGroup, ...]:
        """The lines' taxes grouped by rate (numerically equal rates group together), lowest first."""
        groups: dict[Decimal, tuple[str, int, int]] = {}
        for line in self.lines:
            key = Decimal(line.tax_rate).normalize()
            rate, net, tax = groups.get(key, (line.tax_rate, 0, 0))
            groups[key] = (rate, net + line.net, tax + line.tax)
        return tuple(TaxGroup(rate, net, tax) for _, (rate, net, tax) in sorted(groups.items()))


@dataclass(frozen=True)
class PdfFile:
    """A rendered document as a file: what GET …/pdf answers."""

    data: bytes
    filename: str


def pdf_filename(number: str) -> str:
    """`INV-2026-000001` -> `INV-2026-000001.pdf`; anything unsafe in a file name becomes `_`."""
    return (re.sub(r"[^A-Za-z0-9._-]+", "_", number).strip("._") or "invoice") + ".pdf"
