"""Products: creation and changes. Prices are per currency in minor units; a change bumps the version."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from billing_shared.commands import given
from billing_shared.errors import FieldError
from billing_shared.metadata import merge as merge_metadata
from orders.domain.catalog import Currency, Product
from orders.domain.commands import CreateProduct


def create(product_id: str, cmd: CreateProduct, now: datetime) -> Product:
    fields = given(cmd) | {"prices": dict(cmd.prices)}
    return Product(id=product_id, created_at=now, updated_at=now, version=1, **fields)


def update(product: Product, changes: dict[str, Any], now: datetime) -> Product | None:
    """The product with `changes` applied and its version bumped, or None when nothing changes.

    `prices` replaces the whole set; `metadata` is merged key by key and a null value deletes a key,
    as everywhere on the platform.
    """
    values: dict[str, Any] = {
        k: changes[k] for k in ("name", "description", "tax_category", "active", "trial_days") if k in changes
    }
    if "prices" in changes:
        values["prices"] = dict(changes["prices"])
    if "metadata" in changes:
        values["metadata"] = merge_metadata(product.metadata, changes["metadata"])
    if all(getattr(product, k) == v for k, v in values.items()):
        return None
    return dataclasses.replace(product, **values, updated_at=now, version=product.version + 1)


def unusable_prices(prices: list[tuple[str, int]], currencies: dict[str, Currency]) -> list[FieldError]:
    """Every price must be in a currency that is enabled now (`currencies`: those known)."""
    return [
        FieldError(f"prices[{i}].currency", f"{code} is not enabled; see /api/v1/Currencies.")
        for i, (code, _) in enumerate(prices)
        if code not in currencies or not currencies[code].enabled
    ]
