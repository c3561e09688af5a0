"""What invoicing knows of orders' catalog (ProductCreated/Updated, TaxRuleCreated/Updated): each
event carries the whole record, kept when newer than the one known (a product's `version`, a tax
rule's `changedAt`), so a replay or a late redelivery never brings an old price or rate back."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billing_shared.db.timestamps import aware
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
        version = int(data["version"])
        return self._apply(catalog_products, catalog_products.c.version, version, data, {"updated_at": now})

    def apply_tax_rule(self, data: dict[str, Any]) -> bool:
        changed = datetime.fromisoformat(data["changedAt"])
        return self._apply(
            catalog_tax_rules, catalog_tax_rules.c.changed_at, changed, data, {"country": data["country"]}
        )

    def _apply(
        self, table: Any, order: Any, mark: int | datetime, data: dict[str, Any], values: dict[str, Any]
    ) -> bool:
        """Keep `data` unless the row known is as new or newer by `order` (a column holding
        `mark`); False when it was (a replay)."""
        values = values | {order.name: mark}
        row = self.session.execute(
            select(order.label("mark")).where(table.c.id == data["id"]).with_for_update()
        ).first()
        if row is None:
            try:
                with self.session.begin_nested():
                    self.session.execute(insert(table).values(id=data["id"], data=data, **values))
                return True
            except IntegrityError:  # a concurrent delivery inserted it: compare with theirs
                return self._apply(table, order, mark, data, values)
        known = aware(row.mark) if isinstance(row.mark, datetime) else int(row.mark)
        if _not_older(known, mark):
            return False
        self.session.execute(update(table).where(table.c.id == data["id"]).values(data=data, **values))
        return True


def _not_older(known: int | datetime, mark: int | datetime) -> bool:
    if isinstance(known, datetime) and isinstance(mark, datetime):
        return known >= mark
    if isinstance(known, int) and isinstance(mark, int):
        return known >= mark
    raise TypeError("a version and an instant do not compare")
