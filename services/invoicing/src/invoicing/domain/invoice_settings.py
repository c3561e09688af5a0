"""The merchant's identity and branding on documents and mail, as data (`/InvoiceSettings`).

Every change makes a new revision; nothing is edited in place. An invoice remembers the revision it
was finalized with (a credit note the one it was issued with), so a later change of the seller's
name, address, logo or footer never changes a document already issued. Revision 0 is the one the
deployment's environment describes (INVOICING_SELLER_*), in force until the first PATCH.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from invoicing.domain.documents import Logo, Seller

PNG, SVG = "image/png", "image/svg+xml"  # the logo's two accepted types
LOGO_MAX_BYTES = 512 * 1024
# The automatic e-mails, each of which the merchant can switch off.
MAIL_KINDS = ("invoiceFinalized", "receipt", "paymentFailed", "trialEnding", "subscriptionCanceled")


@dataclass(frozen=True)
class InvoiceSettings:
    revision: int
    seller_name: str
    seller_address: tuple[str, ...] = ()
    seller_tax_id: str | None = None
    accent_color: str = "#1f6feb"
    footer: str | None = None  # on every document whose invoice has no footer of its own
    days_until_due: int = 14  # an open invoice is due this many days after finalization
    support_email: str | None = None  # named in every mail and on the hosted page
    mail: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(MAIL_KINDS, True))
    logo: Logo | None = None

    @property
    def seller(self) -> Seller:
        return Seller(self.seller_name, self.seller_address, self.seller_tax_id)

    def sends(self, kind: str) -> bool:
        """Whether the automatic mail `kind` (one of MAIL_KINDS) is on."""
        return self.mail.get(kind, True)

    def data(self) -> dict[str, Any]:
        """What a revision row stores beside its logo."""
        return {
            "sellerName": self.seller_name,
            "sellerAddress": list(self.seller_address),
            "sellerTaxId": self.seller_tax_id,
            "accentColor": self.accent_color,
            "footer": self.footer,
            "daysUntilDue": self.days_until_due,
            "supportEmail": self.support_email,
            "mail": dict(self.mail),
        }

    @classmethod
    def of(cls, revision: int, data: dict[str, Any], logo: Logo | None) -> InvoiceSettings:
        return cls(
            revision=revision,
            seller_name=data["sellerName"],
            seller_address=tuple(data.get("sellerAddress") or ()),
            seller_tax_id=data.get("sellerTaxId"),
            accent_color=data.get("accentColor") or "#1f6feb",
            footer=data.get("footer"),
            days_until_due=int(data.get("daysUntilDue", 14)),
            support_email=data.get("supportEmail"),
            mail={k: bool((data.get("mail") or {}).get(k, True)) for k in MAIL_KINDS},
            logo=logo,
        )


_FIELDS = ("seller_name", "seller_tax_id", "accent_color", "footer", "days_until_due", "support_email")


def changed(current: InvoiceSettings, patch: dict[str, Any]) -> InvoiceSettings:
    """The next revision: `current` with the fields `patch` names by attribute (already validated
    by the API's schema; null clears an optional one); `mail` switches are merged, not replaced."""
    values: dict[str, Any] = {name: patch[name] for name in _FIELDS if name in patch}
    if "seller_address" in patch:
        values["seller_address"] = tuple(patch["seller_address"] or ())
    if "mail" in patch:
        values["mail"] = {**current.mail, **patch["mail"]}
    return replace(current, revision=current.revision + 1, **values)


def with_logo(current: InvoiceSettings, logo: Logo | None) -> InvoiceSettings:
    return replace(current, revision=current.revision + 1, logo=logo)
