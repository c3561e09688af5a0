"""/api/v1/Customers: create, list, get, patch. A customer-role token sees only its own customer."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.web.context import caller_scope, if_match, reading
from billing_shared.web.responses import ResourceAnswer
from billing_shared.web.routes import Listing, changes, creates, list_route, reads
from billing_shared.web.transaction import current_uow
from customers.api.schemas import (
    CustomerCreateSchema,
    CustomerListArgs,
    CustomerPatchSchema,
    CustomerSchema,
)
from customers.domain.commands import CreateCustomer, UpdateCustomer
from customers.service_layer import customers

blp = Blueprint("customers", __name__, url_prefix="/api/v1/Customers", description="Customers")

_CUSTOMER = CustomerSchema()  # built once: a schema's construction costs more than a dump


_answer = ResourceAnswer(_CUSTOMER.dump, "/api/v1/Customers")


list_route(
    blp,
    "",
    "customers:read",
    Listing(CustomerListArgs, CustomerSchema, customers.list_customers, _CUSTOMER.dump),
)


@blp.route("")
class CustomersCollection(MethodView):
    @creates(blp, "customers:write", body=CustomerCreateSchema, response=CustomerSchema)
    def post(self, body: dict[str, Any]) -> Response:
        """Create a customer (emits CustomerCreated)."""
        return _answer(customers.create_customer(current_uow(), CreateCustomer(caller_scope(), **body)), 201)


@blp.route("/<string:customer_id>")
class CustomerItem(MethodView):
    @reads(blp, "customers:read", response=CustomerSchema)
    def get(self, customer_id: str) -> Response:
        """One customer with the ids of its orders, payment intents, invoices and subscriptions."""
        with reading() as uow:
            return _answer(customers.get_customer(uow, caller_scope(), customer_id))

    @changes(blp, "customers:write", response=CustomerSchema, body=CustomerPatchSchema, if_match=True)
    def patch(self, body: dict[str, Any], customer_id: str) -> Response:
        """Change some fields (emits CustomerUpdated). `If-Match` is honoured when sent."""
        cmd = UpdateCustomer(caller_scope(), customer_id, changes=body, if_match=if_match())
        return _answer(customers.update_customer(current_uow(), cmd))
