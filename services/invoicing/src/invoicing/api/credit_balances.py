"""/api/v1/CustomerBalanceTransactions: the movements of customers' credit balances (read only:
negative invoices make credit, invoices use it). A customer-role token sees only its own."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from billing_shared.web.context import caller_scope, reading
from billing_shared.web.field_types import moment, money, ref
from billing_shared.web.responses import resource_response
from billing_shared.web.routes import Listing, list_route, reads
from billing_shared.web.schemas import ID, CamelSchema, ListArgs
from invoicing.domain.credit import KINDS, Movement
from invoicing.service_layer import credit

blp = Blueprint(
    "credit_balances",
    __name__,
    url_prefix="/api/v1/CustomerBalanceTransactions",
    description="Movements of customers' credit balances",
)


class MovementSchema(CamelSchema):
    id = ref()
    object = fields.String()
    customer_id = ref()
    currency = fields.String()
    amount = money(metadata={"description": "+ credit given to the customer, - credit used on an invoice"})
    ending_balance = money(metadata={"description": "the balance after it, positive = owed to the customer"})
    type = fields.String(metadata={"enum": list(KINDS)})
    invoice_id = ref(allow_none=True)
    subscription_id = ref(allow_none=True)
    created_at = moment()


class MovementListArgs(ListArgs):
    """List a customer's credit movements, oldest first; filter by `customerId`, `currency`, `invoiceId`."""

    customer_id = ref(validate=ID)
    currency = fields.String(validate=validate.Regexp(r"^[A-Z]{3}$"))
    invoice_id = ref(validate=ID)


list_route(
    blp,
    "",
    "invoices:read",
    Listing(MovementListArgs, MovementSchema, credit.list_movements, Movement.to_json),
)


@blp.route("/<string:movement_id>")
class MovementItem(MethodView):
    @reads(blp, "invoices:read", response=MovementSchema)
    def get(self, movement_id: str) -> Response:
        """One movement of a customer's credit balance."""
        with reading() as uow:
            return resource_response(credit.get_movement(uow, caller_scope(), movement_id).to_json())
