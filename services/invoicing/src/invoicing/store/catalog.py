"""What invoicing knows of orders' catalog (ProductCreated/Updated, TaxRuleCreated/Updated): each
event carries the whole record, kept when newer than the one known (a product's `version`, a tax
rule's `changedAt`), so a replay or a late redelivery never brings an old price or rate back."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing_shared.db.newest import keep_newest
from billing_shared.pricing import TaxRuleCandidate
from invoicing.store.tables import catalog_products, catalog_tax_rules


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class CatalogProjection:
    def __init__(self, session: Session) -> None:
        self.session = session

    def product(self, product_id: str) -> dict[str, Any] | None:
        row = self.session.execute(
            select(catalog_products.c.data).where(catalog_products.c.id == product_id)
        ).first()
        return dict(row.data) if row else None

    def tax_rules(self, country: str) -> list[TaxRuleCandidate]:
        """The country's active rules, as the pricing rule's matcher takes them."""
        rows = self.session.execute(
            select(catalog_tax_rules.c.data).where(catalog_tax_rules.c.country == country)
        ).all()
        return [
            TaxRuleCandidate(
                rule_id=r["id"],
                name=r["name"],
                country=r["country"],
                rate=Decimal(r["rate"]),
                inclusive=r["inclusive"],
                region=r["region"],
                tax_category=r["taxCategory"],
                valid_from=_instant(r.get("validFrom")),
                valid_to=_instant(r.get("validTo")),
            )
            for r in (row.data for row in rows)
            if r["active"]
        ]

    def apply_product(self, data: dict[str, Any], now: datetime) -> bool:
        values = {"data": data, "version": int(data["version"]), "updated_at": now}
        return keep_newest(self.session, catalog_products, {"id": data["id"]}, values, "version")

    def apply_tax_rule(self, data: dict[str, Any]) -> bool:
        values = {
            "data": data,
            "country": data["country"],
            "changed_at": datetime.fromisoformat(data["changedAt"]),
        }
        return keep_newest(self.session, catalog_tax_rules, {"id": data["id"]}, values, "changed_at")
