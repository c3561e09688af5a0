"""/api/v1/Currencies: the ISO 4217 currencies (exponents from the standard), and which are enabled.

Every currency with a minor unit is known; only enabled ones may be used in prices, coupons and
orders. Switching one on or off changes what the whole platform sells in, so it needs `admin`.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from billing_shared.web.context import reading
from billing_shared.web.routes import Listing, changes, list_route, reads
from billing_shared.web.transaction import current_uow
from orders.api.catalog_schemas import (
    CurrencyListArgs,
    CurrencyPatchSchema,
    CurrencySchema,
)
from orders.api.exact_json import ExactJsonBlueprint
from orders.domain.catalog import Currency
from orders.domain.commands import SwitchCurrency
from orders.service_layer import catalog

blp = ExactJsonBlueprint(
    "currencies",
    __name__,
    url_prefix="/api/v1/Currencies",
    description="ISO 4217 currencies and which are enabled",
)
_CURRENCY = CurrencySchema()


list_route(
    blp,
    "",
    "catalog:read",
    Listing(CurrencyListArgs, CurrencySchema, catalog.list_currencies, _CURRENCY.dump, scoped=False),
)


@blp.route("/<string:code>")
class CurrencyItem(MethodView):
    @reads(blp, "catalog:read", response=CurrencySchema)
    def get(self, code: str) -> Currency:
        """One currency with its exponent (minor-unit digits)."""
        with reading() as uow:
            return catalog.get_currency(uow, code)

    @changes(blp, ("admin", "catalog:write"), response=CurrencySchema, body=CurrencyPatchSchema)
    def patch(self, body: dict[str, Any], code: str) -> Currency:
        """Enable or disable a currency (needs `catalog:write` and `admin`). Existing prices stay stored."""
        return catalog.switch_currency(current_uow(), SwitchCurrency(code, body["enabled"]))
