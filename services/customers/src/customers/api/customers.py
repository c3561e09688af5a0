"""/api/v1/Customers: create, list, get, patch. A customer-role token sees only its own customer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, make_response
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.auth.flask import current_principal, requires
from billing_shared.db.uow import Database
from billing_shared.errors import Problem, not_found
from billing_shared.ids import new_id
from billing_shared.web.etag import check_if_match, etag
from billing_shared.web.schemas import page
from billing_shared.web.transaction import current_uow, transactional
from customers.api.schemas import (
    CustomerCreateSchema,
    CustomerListArgs,
    CustomerListSchema,
    CustomerPatchSchema,
    CustomerSchema,
)
from customers.domain import customer as rules
from customers.domain.customer import Customer
from customers.store.repository import CustomerRepository

blp = Blueprint("customers", __name__, url_prefix="/api/v1/Customers", description="Customers")


def _db() -> Database:
    db: Database = current_app.extensions["billing_db"]
    return db


def _visible_to_caller(customer_id: str) -> None:
    """A customer-role token may only see its own customer; others do not exist for it."""
    p = current_principal()
    if p.role == "customer" and p.customer_id != customer_id:
        raise not_found("customer", customer_id)


_CUSTOMER = CustomerSchema()  # built once: a schema's construction costs more than a dump


def _with_etag(body: Any, customer: Customer, status: int = 200) -> Response:
    resp = make_response(_CUSTOMER.dump(body), status)
    resp.headers["ETag"] = etag(customer.version)
    return resp


@blp.route("")
class CustomersCollection(MethodView):
    @requires("customers:read")
    @blp.arguments(CustomerListArgs, location="query")
    @blp.response(200, CustomerListSchema)
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List customers, oldest first; filter by `email`; page with `limit` and `startingAfter`."""
        p = current_principal()
        with _db().unit_of_work(write=False) as uow:
            items = CustomerRepository(uow.session).page(
                limit=args["limit"] + 1,
                starting_after=args["starting_after"],
                email=args.get("email"),
                only_id=p.customer_id if p.role == "customer" else None,
            )
        return page(items, args["limit"])

    @requires("customers:write")
    @transactional
    @blp.arguments(CustomerCreateSchema)
    @blp.response(201, CustomerSchema)
    @blp.doc(
        security=[{"bearerAuth": []}],
        parameters=[
            {
                "in": "header",
                "name": "Idempotency-Key",
                "schema": {"type": "string"},
                "description": "Retry safely: same key + same body replays",
            }
        ],
    )
    def post(self, body: dict[str, Any]) -> Response:
        """Create a customer (emits CustomerCreated)."""
        if current_principal().role == "customer":
            raise Problem(403, "A customer token cannot create customers.")
        now = datetime.now(UTC)
        customer, event = rules.create(customer_id=new_id("cus"), now=now, **body)
        uow = current_uow()
        CustomerRepository(uow.session).add(customer)
        uow.emit(event)
        resp = _with_etag(customer, customer, 201)
        resp.headers["Location"] = f"/api/v1/Customers/{customer.id}"
        return resp


@blp.route("/<string:customer_id>")
class CustomerItem(MethodView):
    @requires("customers:read")
    @blp.response(200, CustomerSchema)
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self, customer_id: str) -> Response:
        """One customer with the ids of its orders, payment intents, invoices and subscriptions."""
        _visible_to_caller(customer_id)
        with _db().unit_of_work(write=False) as uow:
            customer = CustomerRepository(uow.session).get(customer_id)
        if customer is None:
            raise not_found("customer", customer_id)
        return _with_etag(customer, customer)

    @requires("customers:write")
    @transactional
    @blp.arguments(CustomerPatchSchema)
    @blp.response(200, CustomerSchema)
    @blp.doc(
        security=[{"bearerAuth": []}],
        parameters=[
            {
                "in": "header",
                "name": "If-Match",
                "schema": {"type": "string"},
                "description": "Optional ETag; 412 when stale",
            }
        ],
    )
    def patch(self, body: dict[str, Any], customer_id: str) -> Response:
        """Change some fields (emits CustomerUpdated). `If-Match` is honoured when sent."""
        _visible_to_caller(customer_id)
        repo = CustomerRepository(current_uow().session)
        customer = repo.get(customer_id, for_update=True)
        if customer is None:
            raise not_found("customer", customer_id)
        check_if_match(customer.version)
        updated, event = rules.update(customer, body, datetime.now(UTC))
        if event is not None:
            if not repo.save(updated, expected_version=customer.version):
                raise Problem(409, "The customer changed while this update ran; retry.")
            current_uow().emit(event)
        return _with_etag(updated, updated)
