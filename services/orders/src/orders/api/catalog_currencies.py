"""/api/v1/Currencies: the ISO 4217 currencies (exponents from the standard), and which are enabled.

Every currency with a minor unit is known; only enabled ones may be used in prices, coupons and
orders. Switching one on or off changes what the whole platform sells in, so it needs `admin`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask.views import MethodView

from billing_shared.auth.flask import requires
from billing_shared.errors import Problem
from billing_shared.web.schemas import page
from billing_shared.web.transaction import current_uow, transactional
from orders.api.catalog_common import BEARER, CatalogBlueprint, db
from orders.api.catalog_schemas import (
    CurrencyListArgs,
    CurrencyListSchema,
    CurrencyPatchSchema,
    CurrencySchema,
)
from orders.domain.catalog import Currency
from orders.store.catalog import CatalogRepository

blp = CatalogBlueprint(
    "currencies",
    __name__,
    url_prefix="/api/v1/Currencies",
    description="ISO 4217 currencies and which are enabled",
)


def _unknown(code: str) -> Problem:
    return Problem(404, f"No currency with code '{code}' (ISO 4217, upper-case, e.g. 'USD').")


@blp.route("")
class CurrenciesCollection(MethodView):
    @requires("catalog:read")
    @blp.arguments(CurrencyListArgs, location="query")
    @blp.response(200, CurrencyListSchema)
    @blp.doc(security=BEARER)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List currencies by code; filter `enabled`; page with `limit` and `startingAfter=<code>`."""
        with db().unit_of_work(write=False) as uow:
            items = CatalogRepository(uow.session).currency_page(
                limit=args["limit"] + 1, starting_after=args["starting_after"], enabled=args.get("enabled")
            )
        return page(items, args["limit"])


@blp.route("/<string:code>")
class CurrencyItem(MethodView):
    @requires("catalog:read")
    @blp.response(200, CurrencySchema)
    @blp.doc(security=BEARER)
    def get(self, code: str) -> Currency:
        """One currency with its exponent (minor-unit digits)."""
        with db().unit_of_work(write=False) as uow:
            currency = CatalogRepository(uow.session).currency(code)
        if currency is None:
            raise _unknown(code)
        return currency

    @requires("admin")
    @requires("catalog:write")
    @transactional
    @blp.arguments(CurrencyPatchSchema)
    @blp.response(200, CurrencySchema)
    @blp.doc(security=BEARER)
    def patch(self, body: dict[str, Any], code: str) -> Currency:
        """Enable or disable a currency (needs `catalog:write` and `admin`). Existing prices stay stored."""
        currency = CatalogRepository(current_uow().session).set_currency_enabled(
            code, body["enabled"], datetime.now(UTC)
        )
        if currency is None:
            raise _unknown(code)
        return currency
