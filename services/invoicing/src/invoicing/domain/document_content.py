"""What the documents of a stored invoice or credit note say: the seller and branding from the
merchant's settings revision the document was issued with (`DocumentTerms`), the buyer from the
customer projection, the figures copied from the invoice (never recomputed), in the customer's
locale. The renderers (`invoicing.adapters.documents`) draw the `InvoiceDocument` this builds and
translate its labels; the e-mails quote it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel import Locale, UnknownLocaleError

from invoicing.domain.credit_notes import CreditNote
from invoicing.domain.documents import Buyer, DocumentLine, InvoiceDocument, Note, Seller
from invoicing.domain.formatting import format_day, format_money
from invoicing.domain.invoice_settings import InvoiceSettings
from invoicing.domain.invoices import DRAFT, OPEN, UNCOLLECTIBLE, Invoice


def N_(message: str) -> str:
    """Marks an English message id for extraction; the renderers translate it."""
    return message


@dataclass(frozen=True)
class DocumentTerms:
    """The seller's side of a document: the settings revision it shows (the newest for a draft,
    the one in force at finalization for an invoice) and the locale for a customer who chose none."""

    settings: InvoiceSettings
    default_locale: str

    @property
    def seller(self) -> Seller:
        return self.settings.seller


@dataclass(frozen=True)
class Party:
    """Who the documents are from (`DocumentTerms`) and to (the customer projection)."""

    seller: Seller
    buyer: Buyer
    locale: str


def _parsed(wanted: object) -> str | None:
    if isinstance(wanted, str) and wanted:
        try:
            return str(Locale.parse(wanted.replace("-", "_")))
        except (ValueError, UnknownLocaleError):
            return None
    return None


def _locale(customer: dict[str, Any] | None, default: str) -> str:
    """The customer's `preferredLocale`, else a `locale` in its metadata (how it was said before
    there was a field), else the deployment's default."""
    c = customer or {}
    return _parsed(c.get("preferredLocale")) or _parsed((c.get("metadata") or {}).get("locale")) or default


def _address_lines(address: dict[str, Any] | None) -> tuple[str, ...]:
    if not address:
        return ()
    city = " ".join(p for p in (address.get("postalCode"), address.get("city")) if p)
    parts = (address.get("line1"), address.get("line2"), city, address.get("region"), address.get("country"))
    return tuple(p for p in parts if p)


def parties(terms: DocumentTerms, customer_id: str, customer: dict[str, Any] | None) -> Party:
    """From the seller to the customer (`customer`: its projection; None while not known yet)."""
    c = customer or {}
    buyer = Buyer(
        name=c.get("name") or customer_id,
        email=c.get("email") or "",
        address_lines=_address_lines(c.get("billingAddress")),
        tax_id=c.get("taxId") or None,
    )
    return Party(terms.seller, buyer, _locale(customer, terms.default_locale))


def _lines(inv: Invoice) -> tuple[DocumentLine, ...]:
    return tuple(
        DocumentLine(
            description=inv.line_name(i),
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount=line.discount,
            tax_rate=str(line.tax_rate),
            tax=line.tax,
            total=line.total,
        )
        for i, line in enumerate(inv.priced.lines)
    )


def invoice_document(inv: Invoice, party: Party, terms: DocumentTerms) -> InvoiceDocument:
    issued = inv.finalized_at or inv.created_at
    days = terms.settings.days_until_due
    due = issued + timedelta(days=days) if inv.status in (OPEN, UNCOLLECTIBLE) else None
    money = lambda amount: format_money(amount, inv.currency, party.locale)  # noqa: E731
    notes: list[Note] = [Note(inv.memo, verbatim=True)] if inv.memo else []
    if inv.status == DRAFT:
        notes.append(Note(N_("DRAFT - not a valid invoice until finalized; it has no number yet.")))
    if inv.paid_at is not None:
        day = format_day(inv.paid_at.date(), party.locale)
        notes.append(
            Note(N_("Paid %(amount)s on %(date)s."), (("amount", money(inv.amount_paid)), ("date", day)))
        )
    if inv.amount_refunded:
        refunded = (("amount", money(inv.amount_refunded)),)
        notes.append(Note(N_("Refunded so far: %(amount)s (see the credit notes)."), refunded))
    if inv.disputed:
        notes.append(Note(N_("The payment of this invoice is disputed.")))
    return InvoiceDocument(
        seller=party.seller,
        buyer=party.buyer,
        number=inv.number,
        issue_date=issued.date(),
        due_date=due.date() if due else None,
        currency=inv.currency,
        locale=party.locale,
        lines=_lines(inv),
        subtotal=inv.priced.subtotal,
        discount_total=inv.priced.discount_total,
        tax_total=inv.priced.tax_total,
        total=inv.priced.total,
        status=inv.status,
        notes=tuple(notes),
        **_branding(terms.settings, inv.footer),
    )


def _branding(settings: InvoiceSettings, footer: str | None) -> dict[str, Any]:
    """The document's own footer, else the merchant's default one, and the rest of the branding."""
    return {
        "footer": footer or settings.footer,
        "logo": settings.logo,
        "accent_color": settings.accent_color,
        "support_email": settings.support_email,
    }


def _share(amount: int, weights: list[int]) -> list[int]:
    """`amount` split over `weights` in proportion, largest remainder (ties to the earlier)."""
    total = sum(weights)
    if total == 0:
        return [amount] + [0] * (len(weights) - 1)
    floors = [amount * w // total for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in order[: amount - sum(floors)]:
        floors[i] += 1
    return floors


def _credited_lines(inv: Invoice, amount: int) -> tuple[DocumentLine, ...]:
    """The invoice's lines when the whole total is credited; otherwise each line's share of the
    amount (largest remainder) with the tax inside it in the line's own tax proportion, so the
    taxes per rate show what the refund gives back."""
    if amount == inv.priced.total:
        return _lines(inv)
    shares = _share(amount, [line.total for line in inv.priced.lines])
    out = []
    for i, (line, credited) in enumerate(zip(inv.priced.lines, shares, strict=True)):
        if credited == 0:
            continue
        ratio = Decimal(line.tax) / line.total if line.total else Decimal(0)
        tax = int((credited * ratio).quantize(Decimal(1), ROUND_HALF_UP))
        out.append(
            DocumentLine(
                description=inv.line_name(i),
                partial=True,
                quantity=1,
                unit_price=credited - tax,
                discount=0,
                tax_rate=str(line.tax_rate),
                tax=tax,
                total=credited,
            )
        )
    return tuple(out)


def credit_note_document(
    note: CreditNote, inv: Invoice, party: Party, terms: DocumentTerms
) -> InvoiceDocument:
    lines = _credited_lines(inv, note.amount)
    tax_total = sum(line.tax for line in lines)
    subtotal, discount = note.amount - tax_total, 0
    if note.amount == inv.priced.total:  # the whole invoice: its own figures
        subtotal, discount = inv.priced.subtotal, inv.priced.discount_total
    return InvoiceDocument(
        seller=party.seller,
        buyer=party.buyer,
        number=note.number,
        issue_date=note.created_at.date(),
        due_date=None,
        currency=note.currency,
        locale=party.locale,
        lines=lines,
        subtotal=subtotal,
        discount_total=discount,
        tax_total=tax_total,
        total=note.amount,
        status="issued",
        notes=(
            Note(
                N_("Credits invoice %(number)s for refund %(refund)s."),
                (("number", inv.number or ""), ("refund", note.refund_id)),
            ),
            Note(N_("The amount is given back to the original payment method.")),
        ),
        kind="credit_note",
        **_branding(terms.settings, None),
    )
