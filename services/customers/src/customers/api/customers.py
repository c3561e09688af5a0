"""/api/v1/Customers: create, list, get, patch. A customer-role token sees only its own customer."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.auth.flask import requires
from billing_shared.web.context import caller_scope, if_match, reading
from billing_shared.web.responses import (
    BEARER,
    IDEMPOTENCY_KEY,
    IF_MATCH,
    list_response,
    page_request,
    resource_response,
)
from billing_shared.web.transaction import current_uow, transactional
from customers.api.schemas import (
    CustomerCreateSchema,
    CustomerListArgs,
    CustomerListSchema,
    CustomerPatchSchema,
    CustomerSchema,
)
from customers.domain.commands import CreateCustomer, ListCustomers, UpdateCustomer
from customers.domain.customer import Customer
from customers.service_layer import customers

blp = Blueprint("customers", __name__, url_prefix="/api/v1/Customers", description="Customers")

_CUSTOMER = CustomerSchema()  # built once: a schema's construction costs more than a dump


def _answer(customer: Customer, status: int = 200) -> Response:
    return resource_response(
        _CUSTOMER.dump(customer),
        version=customer.version,
        status=status,
        location=f"/api/v1/Customers/{customer.id}",
    )


@blp.route("")
class CustomersCollection(MethodView):
    @requires("customers:read")
    @blp.arguments(CustomerListArgs, location="query")
    @blp.response(200, CustomerListSchema)
    @blp.doc(security=BEARER)
    def get(self, args: dict[str, Any]) -> Response:
        """List customers, oldest first; filter by `email`; page with `limit` and `startingAfter`."""
        query = ListCustomers(caller_scope(), page_request(args), email=args.get("email"))
        with reading() as uow:
            found = customers.list_customers(uow, query)
        return list_response(found, _CUSTOMER.dump)

    @requires("customers:write")
    @transactional
    @blp.arguments(CustomerCreateSchema)
    @blp.response(201, CustomerSchema)
    @blp.doc(security=BEARER, parameters=[IDEMPOTENCY_KEY])
    def post(self, body: dict[str, Any]) -> Response:
        """Create a customer (emits CustomerCreated)."""
        return _answer(customers.create_customer(current_uow(), CreateCustomer(caller_scope(), **body)), 201)


@blp.route("/<string:customer_id>")
class CustomerItem(MethodView):
    @requires("customers:read")
    @blp.response(200, CustomerSchema)
    @blp.doc(security=BEARER)
    def get(self, customer_id: str) -> Response:
        """One customer with the ids of its orders, payment intents, invoices and subscriptions."""
        with reading() as uow:
            return _answer(customers.get_customer(uow, caller_scope(), customer_id))

    @requires("customers:write")
    @transactional
    @blp.arguments(CustomerPatchSchema)
    @blp.response(200, CustomerSchema)
    @blp.doc(security=BEARER, parameters=[IF_MATCH])
    def patch(self, body: dict[str, Any], customer_id: str) -> Response:
        """Change some fields (emits CustomerUpdated). `If-Match` is honoured when sent."""
        cmd = UpdateCustomer(caller_scope(), customer_id, changes=body, if_match=if_match())
        return _answer(customers.update_customer(current_uow(), cmd))
