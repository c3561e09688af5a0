"""Currencies, billing cycles and products: what can be sold, how often it renews, in which money."""

from __future__ import annotations

from datetime import UTC, datetime

from billing_shared.concurrency import check_if_match
from billing_shared.db.uow import UnitOfWork
from billing_shared.errors import FieldError, Problem, existing, invalid_fields
from billing_shared.ids import new_id
from billing_shared.paging import Page, PageRequest
from orders.domain import products
from orders.domain.catalog import BillingCycle, Currency, Product
from orders.domain.catalog_events import product_event, tax_rule_event
from orders.domain.commands import CreateBillingCycle, CreateProduct, SwitchCurrency, UpdateProduct
from orders.store.catalog import CatalogRepository


def _unknown_currency(code: str) -> Problem:
    return Problem(404, f"No currency with code '{code}' (ISO 4217, upper-case, e.g. 'USD').")


def list_currencies(uow: UnitOfWork, page: PageRequest, *, enabled: bool | None = None) -> Page[Currency]:
    return CatalogRepository(uow.session).currency_page(page, enabled=enabled)


def get_currency(uow: UnitOfWork, code: str) -> Currency:
    currency = CatalogRepository(uow.session).currency(code)
    if currency is None:
        raise _unknown_currency(code)
    return currency


def switch_currency(uow: UnitOfWork, cmd: SwitchCurrency) -> Currency:
    """On or off for new prices, coupons and orders; existing prices stay stored."""
    currency = CatalogRepository(uow.session).set_currency_enabled(cmd.code, cmd.enabled, datetime.now(UTC))
    if currency is None:
        raise _unknown_currency(cmd.code)
    return currency


def list_billing_cycles(uow: UnitOfWork, page: PageRequest) -> Page[BillingCycle]:
    return CatalogRepository(uow.session).billing_cycle_page(page)


def get_billing_cycle(uow: UnitOfWork, cycle_id: str) -> BillingCycle:
    return existing(CatalogRepository(uow.session).billing_cycle(cycle_id), "billing cycle", cycle_id)


def create_billing_cycle(uow: UnitOfWork, cmd: CreateBillingCycle) -> BillingCycle:
    cycle = BillingCycle(
        id=new_id("bc"),
        name=cmd.name,
        interval_unit=cmd.interval_unit,
        interval_count=cmd.interval_count,
        created_at=datetime.now(UTC),
    )
    CatalogRepository(uow.session).add_billing_cycle(cycle)
    return cycle


def list_products(
    uow: UnitOfWork, page: PageRequest, *, active: bool | None = None, billing_cycle_id: str | None = None
) -> Page[Product]:
    return CatalogRepository(uow.session).product_page(page, active=active, billing_cycle_id=billing_cycle_id)


def get_product(uow: UnitOfWork, product_id: str) -> Product:
    return existing(CatalogRepository(uow.session).product(product_id), "product", product_id)


def create_product(uow: UnitOfWork, cmd: CreateProduct) -> Product:
    """Every price's currency must be enabled and a `billingCycleId` must exist."""
    repo = CatalogRepository(uow.session)
    errors = products.unusable_prices(cmd.prices, repo.currencies(code for code, _ in cmd.prices))
    if cmd.billing_cycle_id is not None and repo.billing_cycle(cmd.billing_cycle_id) is None:
        errors.append(
            FieldError(
                "billingCycleId", f"No billing cycle '{cmd.billing_cycle_id}'; see /api/v1/BillingCycles."
            )
        )
    if cmd.trial_days and cmd.billing_cycle_id is None:
        errors.append(
            FieldError("trialDays", "Only a recurring product (with a billingCycleId) has a trial.")
        )
    if errors:
        raise invalid_fields(errors)
    product = products.create(new_id("prod"), cmd, datetime.now(UTC))
    repo.add_product(product)
    uow.emit(product_event("ProductCreated", product))
    return product


def update_product(uow: UnitOfWork, cmd: UpdateProduct) -> Product:
    """`prices` replaces the set; orders already priced keep their prices."""
    repo = CatalogRepository(uow.session)
    product = existing(repo.product(cmd.product_id, for_update=True), "product", cmd.product_id)
    check_if_match(cmd.if_match, product.version)
    changes = dict(cmd.changes)
    if changes.get("trial_days") and not product.recurring:
        raise invalid_fields(
            [FieldError("trialDays", "Only a recurring product (with a billingCycleId) has a trial.")]
        )
    if "prices" in changes:
        prices = changes["prices"]
        errors = products.unusable_prices(prices, repo.currencies(code for code, _ in prices))
        if errors:
            raise invalid_fields(errors)
        changes["prices"] = dict(prices)
    updated = products.update(product, changes, datetime.now(UTC))
    if updated is None:
        return product
    repo.save_product(
        updated, expected_version=product.version, prices_changed=updated.prices != product.prices
    )
    uow.emit(product_event("ProductUpdated", updated))
    return updated


def republish_catalog(uow: UnitOfWork) -> int:
    """Every product and tax rule again (ProductUpdated / TaxRuleUpdated, as they are now), for a
    consumer that started after they were made: an operator's `orders republish-catalog`. A
    consumer that knows them ignores the copies (same version, same moment of change)."""
    repo = CatalogRepository(uow.session)
    events = [product_event("ProductUpdated", p) for p in repo.all_products()]
    events += [
        tax_rule_event("TaxRuleUpdated", r, r.deactivated_at or r.created_at) for r in repo.all_tax_rules()
    ]
    uow.emit_many(events)
    return len(events)
