"""The catalog's HTTP API: the blueprints the orders app registers, one per resource.

Reads need `catalog:read`, writes `catalog:write` (switching a currency also `admin`); the coupon
check at checkout needs `orders:read`. JSON numbers in these bodies are parsed exactly (`Decimal`),
so rates keep every digit and a float sent as an amount is refused, never truncated.
"""

from __future__ import annotations

from flask_smorest import Blueprint

from orders.api import (
    catalog_billing_cycles,
    catalog_coupons,
    catalog_currencies,
    catalog_products,
    catalog_tax_rules,
)

blueprints: list[Blueprint] = [
    catalog_currencies.blp,
    catalog_billing_cycles.blp,
    catalog_products.blp,
    catalog_tax_rules.blp,
    catalog_coupons.blp,
]
