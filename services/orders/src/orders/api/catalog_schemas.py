"""Wire shapes of the catalog: camelCase, unknown fields refused, every field validated.

Money is an integer in minor units (floats and strings refused); rates and percentages are exact
decimals, sent as a string or a JSON number and always answered as a canonical string ("0.2").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, pre_dump, validate, validates_schema

from billing_shared.web import validators as v
from billing_shared.web.field_types import moment, money, ref
from billing_shared.web.schemas import ID, CamelSchema, ListArgs
from orders.domain.catalog import COUPON_DURATIONS, INTERVAL_UNITS, Coupon, Product, TaxRule
from orders.domain.decimals import canonical, parse_in_range
from orders.domain.tax_rules import parse_rate

MAX_AMOUNT = 10**15  # minor units; the order API uses the same bound
MAX_QUANTITY = 10**9
MAX_ITEMS = 1000
TAX_CATEGORY = validate.Regexp(
    r"^[A-Za-z0-9_-]{1,50}$",
    error="1 to 50 characters of A-Z, a-z, 0-9, '_' and '-', e.g. 'standard' or 'digital'; compared exactly.",
)
COUPON_CODE = validate.Regexp(
    r"^[A-Za-z0-9_-]{1,64}$", error="1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'."
)


def _region(value: str) -> None:
    if not 1 <= len(value) <= 100 or "|" in value or value != value.strip():
        raise ValidationError(
            "1 to 100 characters without '|' or surrounding blanks, e.g. 'CA' or 'Bavaria'."
        )


def _future(value: datetime) -> None:
    if value <= datetime.now(UTC):
        raise ValidationError("Must be in the future.")


def _amount(low: int, **kw: Any) -> fields.Integer:
    """An integer amount in minor units: JSON floats (1.5, 1.0) and strings ("100") are refused."""
    return fields.Integer(strict=True, validate=validate.Range(low, MAX_AMOUNT), **kw)


def _metadata_field(*, deletable: bool = False) -> fields.Dict:
    description = "Merged key by key; a null value deletes the key" if deletable else "String values"
    return fields.Dict(
        keys=fields.String(),
        values=fields.String(allow_none=deletable),
        validate=v.metadata,
        metadata={"description": description},
    )


class Bool(fields.Boolean):
    """true or false only: 1, "yes" and "true" are refused in a JSON body."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if value is True or value is False:
            return value
        raise self.make_error("invalid", input=value)


class ExactDecimal(fields.Field):
    """An exact decimal from a string ("0.0725") or a JSON number (0.0725), dumped as canonical text."""

    def __init__(self, parse: Callable[[object], Decimal], **kwargs: Any) -> None:
        meta = {"oneOf": [{"type": "string"}, {"type": "number"}]} | kwargs.pop("metadata", {})
        super().__init__(metadata=meta, **kwargs)
        self.parse = parse

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        try:
            return self.parse(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else canonical(value)


def _plain(record: Any) -> dict[str, Any]:
    """A catalog record as a dict of its fields, for a schema to dump."""
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


# Currencies ---------------------------------------------------------------------------------------


class CurrencySchema(CamelSchema):
    code = fields.String()
    name = fields.String()
    exponent = fields.Integer(metadata={"description": "Minor-unit digits (ISO 4217): JPY 0, USD 2, KWD 3"})
    enabled = fields.Boolean(metadata={"description": "Whether products, coupons and orders may use it"})


class CurrencyPatchSchema(CamelSchema):
    enabled = Bool(required=True)


class CurrencyListArgs(ListArgs):
    """List currencies by code; filter `enabled`; page with `limit` and `startingAfter=<code>`."""

    enabled = fields.Boolean()


# Billing cycles -----------------------------------------------------------------------------------


class BillingCycleCreateSchema(CamelSchema):
    name = v.text(100, required=True)
    interval_unit = fields.String(required=True, validate=validate.OneOf(INTERVAL_UNITS))
    interval_count = fields.Integer(strict=True, required=True, validate=validate.Range(1, 366))


class BillingCycleSchema(CamelSchema):
    id = ref()
    name = fields.String()
    interval_unit = fields.String()
    interval_count = fields.Integer()
    created_at = moment()


class BillingCycleListArgs(ListArgs):
    """List billing cycles by id; page with `limit` and `startingAfter`."""


# Products -----------------------------------------------------------------------------------------


class PriceSchema(CamelSchema):
    currency = fields.String(required=True, validate=v.currency)
    unit_price = _amount(0, required=True, metadata={"description": "Integer in the currency's minor unit"})


def _unique_currencies(prices: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for price in prices:
        if price["currency"] in seen:
            raise ValidationError(f"Each currency at most once; {price['currency']} appears twice.", "prices")
        seen.add(price["currency"])


def _prices(**kw: Any) -> fields.List:
    return fields.List(
        fields.Nested(PriceSchema),
        validate=validate.Length(1, 200),
        metadata={"description": "One price per currency, each currency enabled; replaces the set on PATCH"},
        **kw,
    )


class ProductCreateSchema(CamelSchema):
    name = v.text(200, required=True)
    description = v.text(5000, allow_none=True)
    tax_category = fields.String(required=True, validate=TAX_CATEGORY)
    active = Bool(load_default=True)
    prices = _prices(required=True)
    billing_cycle_id = ref(allow_none=True, validate=ID)
    metadata = _metadata_field()
    trial_days = fields.Integer(
        allow_none=True,
        validate=validate.Range(1, 730),
        metadata={"description": "a recurring product's default trial for orders that name none"},
    )

    @validates_schema
    def _prices_unique(self, data: dict[str, Any], **_: Any) -> None:
        _unique_currencies(data.get("prices", []))


class ProductPatchSchema(CamelSchema):
    name = v.text(200)
    description = v.text(5000, allow_none=True)
    tax_category = fields.String(validate=TAX_CATEGORY)
    active = Bool()
    prices = _prices()
    metadata = _metadata_field(deletable=True)
    trial_days = fields.Integer(
        allow_none=True,
        validate=validate.Range(1, 730),
        metadata={"description": "a recurring product's default trial for orders that name none"},
    )

    @validates_schema
    def _checks(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("Send at least one field to change.")
        _unique_currencies(data.get("prices", []))


class ProductSchema(CamelSchema):
    id = ref()
    name = fields.String()
    description = fields.String(allow_none=True)
    tax_category = fields.String()
    active = fields.Boolean()
    prices = fields.List(fields.Nested(PriceSchema))
    billing_cycle_id = ref(allow_none=True)
    trial_days = fields.Integer(allow_none=True)
    metadata = fields.Dict(keys=fields.String(), values=fields.String())
    version = fields.Integer()
    created_at = moment()
    updated_at = moment()

    @pre_dump
    def _prices_as_list(self, product: Product, **_: Any) -> dict[str, Any]:
        data = _plain(product)
        data["prices"] = [{"currency": c, "unit_price": a} for c, a in sorted(product.prices.items())]
        return data


class ProductListArgs(ListArgs):
    """List products, oldest first; filter by `active` and `billingCycleId`; cursor paging."""

    active = fields.Boolean()
    billing_cycle_id = ref(validate=ID)


# Tax rules ----------------------------------------------------------------------------------------


class TaxRuleCreateSchema(CamelSchema):
    name = v.text(200, required=True)
    country = fields.String(required=True, validate=v.country)
    region = fields.String(allow_none=True, validate=_region)
    tax_category = fields.String(allow_none=True, validate=TAX_CATEGORY)
    rate = ExactDecimal(
        parse_rate,
        required=True,
        metadata={"description": 'Exact decimal 0 <= rate < 10, e.g. "0.2" for 20 %', "example": "0.0725"},
    )
    inclusive = Bool(load_default=False, metadata={"description": "true: the tax is inside the price"})
    valid_from = fields.AwareDateTime(allow_none=True)
    valid_to = fields.AwareDateTime(allow_none=True)

    @validates_schema
    def _period(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("valid_from"), data.get("valid_to")
        if start is not None and end is not None and end <= start:
            raise ValidationError("Must be after validFrom.", "validTo")


class TaxRulePatchSchema(CamelSchema):
    active = Bool(
        required=True,
        metadata={
            "description": "false deactivates (kept as history); true reactivates if the scope is free"
        },
    )


class TaxRuleSchema(CamelSchema):
    id = ref()
    name = fields.String()
    country = fields.String()
    region = fields.String(allow_none=True)
    tax_category = fields.String(allow_none=True)
    rate = ExactDecimal(parse_rate, metadata={"description": "Exact decimal string, trailing zeros dropped"})
    inclusive = fields.Boolean()
    active = fields.Boolean()
    valid_from = moment(allow_none=True)
    valid_to = moment(allow_none=True)
    created_at = moment()
    deactivated_at = moment(allow_none=True)

    @pre_dump
    def _fields(self, rule: TaxRule, **_: Any) -> dict[str, Any]:
        return _plain(rule)


class TaxRuleListArgs(ListArgs):
    """List tax rules, oldest first, inactive ones too unless `active=true`; filter by `country`."""

    country = fields.String(validate=v.country)
    active = fields.Boolean()


# Coupons ------------------------------------------------------------------------------------------


def _percent(value: object) -> Decimal:
    """0 < percentOff <= 100, exact and canonical."""
    return parse_in_range(value, low=Decimal(0), high=Decimal(100), low_open=True, high_open=False)


class CouponCreateSchema(CamelSchema):
    code = fields.String(required=True, validate=COUPON_CODE)
    percent_off = ExactDecimal(
        _percent,
        allow_none=True,
        metadata={"description": "0 < percentOff <= 100, exact; or amountOff", "example": "12.5"},
    )
    amount_off = _amount(
        1, allow_none=True, metadata={"description": "Minor units of `currency`; or percentOff"}
    )
    currency = fields.String(
        allow_none=True, validate=v.currency, metadata={"description": "Required with amountOff, enabled"}
    )
    redeem_by = fields.AwareDateTime(allow_none=True, validate=_future)
    max_redemptions = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 2**31 - 1))
    product_ids = fields.List(
        fields.String(validate=ID),
        allow_none=True,
        validate=validate.Length(1, 100),
        metadata={"description": "Only these products are discounted; omit for every product"},
    )
    duration = fields.String(load_default="once", validate=validate.OneOf(COUPON_DURATIONS))
    duration_in_cycles = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 1200))
    metadata = _metadata_field()

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, list[str]] = {}
        percent, amount = data.get("percent_off"), data.get("amount_off")
        if (percent is None) == (amount is None):
            msg = "Send exactly one of percentOff and amountOff."
            errors["percentOff"] = errors["amountOff"] = [msg]
        if amount is not None and data.get("currency") is None:
            errors["currency"] = ["Required with amountOff."]
        if amount is None and data.get("currency") is not None:
            errors["currency"] = ["Only with amountOff: a percentage applies in every currency."]
        repeating = data.get("duration") == "repeating"
        if repeating and data.get("duration_in_cycles") is None:
            errors["durationInCycles"] = ["Required when duration is 'repeating'."]
        if not repeating and data.get("duration_in_cycles") is not None:
            errors["durationInCycles"] = ["Only with duration 'repeating'."]
        ids = data.get("product_ids") or []
        if len(set(ids)) != len(ids):
            errors["productIds"] = ["Each product at most once."]
        if errors:
            raise ValidationError(errors)


class CouponPatchSchema(CamelSchema):
    active = Bool(metadata={"description": "false stops new redemptions; orders already priced keep theirs"})
    metadata = _metadata_field(deletable=True)

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("Send at least one field to change.")


class CouponSchema(CamelSchema):
    id = ref()
    code = fields.String()
    percent_off = ExactDecimal(_percent, allow_none=True)
    amount_off = money(allow_none=True)
    currency = fields.String(allow_none=True)
    redeem_by = moment(allow_none=True)
    max_redemptions = fields.Integer(allow_none=True)
    times_redeemed = fields.Integer()
    product_ids = fields.List(fields.String(), allow_none=True)
    duration = fields.String()
    duration_in_cycles = fields.Integer(allow_none=True)
    active = fields.Boolean()
    metadata = fields.Dict()
    created_at = moment()

    @pre_dump
    def _fields(self, coupon: Coupon, **_: Any) -> dict[str, Any]:
        return _plain(coupon)


class CouponListArgs(ListArgs):
    """List coupons, oldest first; filter by `code`; page with `limit` and `startingAfter`."""

    code = fields.String(validate=COUPON_CODE)


class ValidateItemSchema(CamelSchema):
    product_id = ref(required=True, validate=ID)
    quantity = fields.Integer(strict=True, required=True, validate=validate.Range(1, MAX_QUANTITY))


class CouponValidateSchema(CamelSchema):
    code = fields.String(required=True, validate=validate.Length(1, 64))
    customer_id = ref(required=True, validate=ID)
    currency = fields.String(required=True, validate=v.currency)
    items = fields.List(
        fields.Nested(ValidateItemSchema),
        allow_none=True,
        validate=validate.Length(1, MAX_ITEMS),
        metadata={"description": "With items, `discount` is what an order of them would get"},
    )


class CouponValidationSchema(CamelSchema):
    valid = fields.Boolean()
    reason = fields.String(allow_none=True, metadata={"description": "Why the coupon cannot be used"})
    discount = fields.Integer(
        allow_none=True, metadata={"description": "Minor units; null when no items were sent"}
    )
