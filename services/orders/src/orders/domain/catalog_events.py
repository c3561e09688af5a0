"""The catalog events orders publishes on `billing.catalog`, so that another service can price with
the same catalog without calling orders (invoicing prices subscription changes with them).

Each event carries the whole product or tax rule: a consumer keeps the newest and ignores an older
one (a replay), by the product's `version` or the rule's `changedAt`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from billing_shared.events.domain import DomainEvent
from billing_shared.pricing.model import plain
from orders.domain.catalog import Product, TaxRule


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def product_event(name: str, product: Product) -> DomainEvent:
    """ProductCreated / ProductUpdated."""
    data: dict[str, Any] = {
        "id": product.id,
        "name": product.name,
        "taxCategory": product.tax_category,
        "active": product.active,
        "prices": [{"currency": c, "unitPrice": p} for c, p in sorted(product.prices.items())],
        "billingCycleId": product.billing_cycle_id,
        "version": product.version,
        "updatedAt": product.updated_at.isoformat(),
    }
    return DomainEvent(name, product.id, data)


def tax_rule_event(name: str, rule: TaxRule, changed_at: datetime) -> DomainEvent:
    """TaxRuleCreated / TaxRuleUpdated (activated or deactivated)."""
    data: dict[str, Any] = {
        "id": rule.id,
        "name": rule.name,
        "country": rule.country,
        "region": rule.region,
        "taxCategory": rule.tax_category,
        "rate": plain(rule.rate),
        "inclusive": rule.inclusive,
        "active": rule.active,
        "validFrom": _iso(rule.valid_from),
        "validTo": _iso(rule.valid_to),
        "changedAt": changed_at.isoformat(),
    }
    return DomainEvent(name, rule.id, data)
