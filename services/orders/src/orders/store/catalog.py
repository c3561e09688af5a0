"""Reads and writes of the catalog (currencies, billing cycles, products, tax rules, coupons) in a session.

Both halves of the service use it: the catalog API to manage the catalog, and order creation to price
from it (`currency`, `products`, `billing_cycle`, `tax_rules_for`, `coupon_by_code`, `redeem_coupon`).
Uniqueness races (one active tax rule per scope, one coupon per code) are settled by the database's
unique indexes; the writes that can lose such a race run in a savepoint and answer False instead of
poisoning the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billing_shared.db.records import record, row_values
from billing_shared.db.repository import equal_to, first, keyset_page, save_versioned
from billing_shared.db.uow import affected
from billing_shared.paging import Page, PageRequest
from orders.domain.catalog import BillingCycle, Coupon, Currency, Product, TaxRule, scope_key
from orders.domain.decimals import canonical
from orders.store.tables import (
    billing_cycles,
    coupon_redemptions,
    coupons,
    currencies,
    product_prices,
    products,
    tax_rules,
)


def _currency(row: Any) -> Currency:
    return record(Currency, row)


def _billing_cycle(row: Any) -> BillingCycle:
    return record(BillingCycle, row)


def _tax_rule(row: Any) -> TaxRule:
    return record(TaxRule, row, rate=Decimal(row.rate))


def _coupon(row: Any) -> Coupon:
    return record(
        Coupon,
        row,
        percent_off=Decimal(row.percent_off) if row.percent_off is not None else None,
        product_ids=list(row.product_ids) if row.product_ids is not None else None,
        metadata=row.metadata or {},
    )


class CatalogRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # Currencies -----------------------------------------------------------------------------------

    def currency(self, code: str) -> Currency | None:
        row = self.session.execute(select(currencies).where(currencies.c.code == code)).first()
        return _currency(row) if row is not None else None

    def currencies(self, codes: Iterable[str]) -> dict[str, Currency]:
        """Several currencies in one query; unknown codes are absent."""
        wanted = sorted(set(codes))
        if not wanted:
            return {}
        rows = self.session.execute(select(currencies).where(currencies.c.code.in_(wanted)))
        return {row.code: _currency(row) for row in rows}

    def currency_page(self, request: PageRequest, *, enabled: bool | None) -> Page[Currency]:
        """By code (`startingAfter` is a code)."""
        stmt = select(currencies).where(*equal_to(currencies, enabled=enabled))
        return keyset_page(self.session, stmt, currencies.c.code, request).map(_currency)

    def set_currency_enabled(self, code: str, enabled: bool, now: datetime) -> Currency | None:
        """Switch a currency on or off; None when there is no such currency."""
        res = self.session.execute(
            update(currencies).where(currencies.c.code == code).values(enabled=enabled, updated_at=now)
        )
        return self.currency(code) if affected(res) == 1 else None

    # Billing cycles -------------------------------------------------------------------------------

    def billing_cycle(self, cycle_id: str) -> BillingCycle | None:
        row = self.session.execute(select(billing_cycles).where(billing_cycles.c.id == cycle_id)).first()
        return _billing_cycle(row) if row is not None else None

    def billing_cycle_page(self, request: PageRequest) -> Page[BillingCycle]:
        return keyset_page(self.session, select(billing_cycles), billing_cycles.c.id, request).map(
            _billing_cycle
        )

    def add_billing_cycle(self, cycle: BillingCycle) -> None:
        self.session.execute(insert(billing_cycles).values(**row_values(cycle, billing_cycles)))

    # Products -------------------------------------------------------------------------------------

    def products(self, ids: list[str]) -> dict[str, Product]:
        """The products with these ids and their prices, in two queries; unknown ids are absent."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        rows = list(self.session.execute(select(products).where(products.c.id.in_(wanted))))
        return {p.id: p for p in self._with_prices(rows)}

    def product(self, product_id: str, *, for_update: bool = False) -> Product | None:
        stmt = select(products).where(products.c.id == product_id)
        if for_update:
            stmt = stmt.with_for_update()
        rows = list(self.session.execute(stmt))
        found = self._with_prices(rows)
        return found[0] if found else None

    def all_products(self) -> list[Product]:
        """Every product with its prices, in id order (a catalog is thousands of rows at most)."""
        return self._with_prices(list(self.session.execute(select(products).order_by(products.c.id))))

    def all_tax_rules(self) -> list[TaxRule]:
        rows = self.session.execute(select(tax_rules).order_by(tax_rules.c.id))
        return [_tax_rule(r) for r in rows]

    def existing_product_ids(self, ids: Iterable[str]) -> set[str]:
        wanted = sorted(set(ids))
        if not wanted:
            return set()
        return set(self.session.scalars(select(products.c.id).where(products.c.id.in_(wanted))))

    def product_page(
        self, request: PageRequest, *, active: bool | None, billing_cycle_id: str | None
    ) -> Page[Product]:
        stmt = select(products).where(*equal_to(products, active=active, billing_cycle_id=billing_cycle_id))
        rows = keyset_page(self.session, stmt, products.c.id, request)
        return Page(self._with_prices(rows.items), rows.has_more)

    def _with_prices(self, rows: list[Any]) -> list[Product]:
        """Products from their rows, with all their prices fetched in one query."""
        if not rows:
            return []
        prices: dict[str, dict[str, int]] = {row.id: {} for row in rows}
        price_rows = self.session.execute(
            select(product_prices)
            .where(product_prices.c.product_id.in_(list(prices)))
            .order_by(product_prices.c.product_id, product_prices.c.currency)
        )
        for pr in price_rows:
            prices[pr.product_id][pr.currency] = pr.unit_price
        return [record(Product, row, prices=prices[row.id], metadata=row.metadata or {}) for row in rows]

    def add_product(self, p: Product) -> None:
        self.session.execute(insert(products).values(**row_values(p, products)))
        self._insert_prices(p)

    def save_product(self, p: Product, *, expected_version: int, prices_changed: bool) -> None:
        save_versioned(
            self.session, products, p.id, expected_version, row_values(p, products), kind="product"
        )
        if prices_changed:
            self.session.execute(delete(product_prices).where(product_prices.c.product_id == p.id))
            self._insert_prices(p)

    def _insert_prices(self, p: Product) -> None:
        if p.prices:
            self.session.execute(
                insert(product_prices),
                [{"product_id": p.id, "currency": c, "unit_price": a} for c, a in sorted(p.prices.items())],
            )

    # Tax rules ------------------------------------------------------------------------------------

    def tax_rule(self, rule_id: str, *, for_update: bool = False) -> TaxRule | None:
        return first(
            self.session, select(tax_rules).where(tax_rules.c.id == rule_id), _tax_rule, for_update=for_update
        )

    def active_tax_rule(self, country: str, region: str | None, tax_category: str | None) -> TaxRule | None:
        """The one active rule of a scope, if any."""
        row = self.session.execute(
            select(tax_rules).where(
                tax_rules.c.scope_key == scope_key(country, region, tax_category),
                tax_rules.c.active.is_(True),
            )
        ).first()
        return _tax_rule(row) if row is not None else None

    def tax_rules_for(self, country: str) -> list[TaxRule]:
        """The active rules of a country, oldest first (pricing takes the first of equally specific ones)."""
        rows = self.session.execute(
            select(tax_rules)
            .where(tax_rules.c.country == country, tax_rules.c.active.is_(True))
            .order_by(tax_rules.c.created_at, tax_rules.c.id)
        )
        return [_tax_rule(row) for row in rows]

    def tax_rule_page(
        self, request: PageRequest, *, country: str | None, active: bool | None
    ) -> Page[TaxRule]:
        stmt = select(tax_rules).where(*equal_to(tax_rules, country=country, active=active))
        return keyset_page(self.session, stmt, tax_rules.c.id, request).map(_tax_rule)

    def add_tax_rule(self, rule: TaxRule) -> bool:
        """Insert an active rule; False when its scope already has an active one (a lost race)."""
        try:
            with self.session.begin_nested():
                values = row_values(rule, tax_rules, rate=canonical(rule.rate))
                self.session.execute(insert(tax_rules).values(**values))
        except IntegrityError:
            return False
        return True

    def save_tax_rule_state(self, rule: TaxRule) -> bool:
        """Store a rule's active flag; False when reactivating it collides with another active rule."""
        try:
            with self.session.begin_nested():
                self.session.execute(
                    update(tax_rules)
                    .where(tax_rules.c.id == rule.id)
                    .values(active=rule.active, deactivated_at=rule.deactivated_at)
                )
        except IntegrityError:
            return False
        return True

    # Coupons --------------------------------------------------------------------------------------

    def coupon(self, coupon_id: str, *, for_update: bool = False) -> Coupon | None:
        return first(
            self.session, select(coupons).where(coupons.c.id == coupon_id), _coupon, for_update=for_update
        )

    def coupon_by_code(self, code: str) -> Coupon | None:
        row = self.session.execute(select(coupons).where(coupons.c.code == code)).first()
        return _coupon(row) if row is not None else None

    def coupon_page(self, request: PageRequest, *, code: str | None) -> Page[Coupon]:
        stmt = select(coupons).where(*equal_to(coupons, code=code))
        return keyset_page(self.session, stmt, coupons.c.id, request).map(_coupon)

    def add_coupon(self, c: Coupon) -> bool:
        """Insert a coupon; False when its code is taken (also when a concurrent request just took it)."""
        try:
            with self.session.begin_nested():
                percent = canonical(c.percent_off) if c.percent_off is not None else None
                self.session.execute(insert(coupons).values(**row_values(c, coupons, percent_off=percent)))
        except IntegrityError:
            return False
        return True

    def save_coupon_settings(self, c: Coupon) -> None:
        """Store what may change on a coupon after creation: whether it is active, and its metadata."""
        self.session.execute(
            update(coupons).where(coupons.c.id == c.id).values(active=c.active, metadata=c.metadata)
        )

    def redeem_coupon(
        self, coupon_id: str, order_id: str, customer_id: str, discount: int, now: datetime
    ) -> bool:
        """Count one redemption of a coupon for an order, in the caller's transaction.

        One conditional UPDATE does the check and the count together, so parallel orders can never
        redeem a coupon more than `maxRedemptions` times: PostgreSQL re-checks the condition on the
        row after waiting for a concurrent redemption's lock. False when the coupon is inactive,
        exhausted or past its `redeemBy`; then nothing is written.
        """
        res = self.session.execute(
            update(coupons)
            .where(
                coupons.c.id == coupon_id,
                coupons.c.active.is_(True),
                (coupons.c.max_redemptions.is_(None))
                | (coupons.c.times_redeemed < coupons.c.max_redemptions),
                (coupons.c.redeem_by.is_(None)) | (coupons.c.redeem_by >= now),
            )
            .values(times_redeemed=coupons.c.times_redeemed + 1)
        )
        if affected(res) != 1:
            return False
        self.session.execute(
            insert(coupon_redemptions).values(
                coupon_id=coupon_id,
                order_id=order_id,
                customer_id=customer_id,
                discount=discount,
                created_at=now,
            )
        )
        return True
