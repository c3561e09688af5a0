"""The tax rule of what invoicing prices itself (a subscription's change, one-off items), one way:
the buyer's billing country and region from the customer projection, the rules from invoicing's
projection of the catalog, the most specific match by the pricing rule (`match_tax_rule`)."""

from __future__ import annotations

from datetime import datetime

from billing_shared.db.uow import UnitOfWork
from billing_shared.pricing import TaxRate, match_tax_rule
from invoicing.domain.invoice_items import TaxFor
from invoicing.store.catalog import CatalogProjection
from invoicing.store.customers import CustomerProjection


def buyer_taxes(uow: UnitOfWork, customer_id: str, now: datetime) -> TaxFor:
    """The customer's tax rate for a tax category at `now` (None: no rule, no tax; so is a buyer
    with no billing country). The rules are read once, whatever the number of lines."""
    customer = CustomerProjection(uow.session).get(customer_id) or {}
    address = customer.get("billingAddress") or {}
    country, region = address.get("country"), address.get("region")
    rules = CatalogProjection(uow.session).tax_rules(country) if country else []

    def tax_for(tax_category: str | None) -> TaxRate | None:
        if not country:
            return None
        rule = match_tax_rule(rules, country=country, region=region, tax_category=tax_category, at=now)
        return rule.tax_rate() if rule else None

    return tax_for
