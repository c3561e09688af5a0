"""What invoicing knows of other services' customers and orders, from their events, and how a
request waits briefly for one it has not heard of yet.

CustomerCreated and CustomerUpdated both carry the whole customer (name, e-mail, billing address,
tax id, metadata): the projection keeps the newest version of it, the buyer of every document.
Orders' catalog events give the products and tax rules a subscription's change is priced with.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from billing_shared.auth.scope import CustomerScope
from billing_shared.db.uow import UnitOfWork
from billing_shared.errors import FieldError, Problem
from billing_shared.projection import await_known, unknown_reference
from invoicing.bootstrap import Deps
from invoicing.domain.commands import RecordCustomer
from invoicing.domain.document_content import DocumentTerms, Party, parties
from invoicing.store.catalog import CatalogProjection
from invoicing.store.customers import CustomerProjection
from invoicing.store.orders import OrderProjection


def record_customer(uow: UnitOfWork, cmd: RecordCustomer) -> None:
    """The customer as published; an older version than the one kept (a replay) is ignored."""
    CustomerProjection(uow.session).apply(cmd.customer, datetime.now(UTC))


def record_product(uow: UnitOfWork, product: dict[str, Any]) -> None:
    """ProductCreated / ProductUpdated: the product as published; an older version is ignored."""
    CatalogProjection(uow.session).apply_product(product, datetime.now(UTC))


def record_tax_rule(uow: UnitOfWork, rule: dict[str, Any]) -> None:
    """TaxRuleCreated / TaxRuleUpdated: the rule as published; an earlier change is ignored."""
    CatalogProjection(uow.session).apply_tax_rule(rule)


def party(uow: UnitOfWork, terms: DocumentTerms, customer_id: str) -> Party:
    """Who a customer's documents are from (`terms`) and to (the buyer as the projection knows it)."""
    return parties(terms, customer_id, CustomerProjection(uow.session).get(customer_id))


def await_emailable(deps: Deps, terms: DocumentTerms, customer_id: str) -> Party | None:
    """The customer's party once its e-mail address is known: CustomerCreated may still be on its
    way right after the customer was made. None when still unknown after the short wait."""

    def emailable(customer: dict[str, Any] | None) -> Party | None:
        found = parties(terms, customer_id, customer)
        return found if found.buyer.email else None

    return await_known(
        deps.db,
        lambda session: emailable(CustomerProjection(session).get(customer_id)),
        deps.settings.projection_wait_seconds,
    )


def await_order(deps: Deps, scope: CustomerScope, order_id: str) -> dict[str, Any]:
    """The projected order a request names. A client may use the id right after orders' 201, before
    OrderCreated reached us: looked for again for `projection_wait_seconds`, then a 422 (as for an
    order of another customer, which a customer token must not learn exists)."""
    order = await_known(
        deps.db, lambda session: OrderProjection(session).get(order_id), deps.settings.projection_wait_seconds
    )
    if order is None or not scope.sees(order["customer_id"]):
        raise Problem(422, f"No order '{order_id}'.", errors=[FieldError("orderId", "unknown order")])
    return order


def await_customer(deps: Deps, customer_id: str, now: datetime) -> dict[str, Any]:
    """The projected customer a request names (`customerId`), looked for again for
    `projection_wait_seconds`: an id issued minutes ago is then a 503 (CustomerCreated is on its
    way), another a 422. Call it before the request's transaction has read anything."""
    customer = await_known(
        deps.db,
        lambda session: CustomerProjection(session).get(customer_id),
        deps.settings.projection_wait_seconds,
    )
    if customer is None:
        raise unknown_reference(customer_id, "customerId", "customer", now)
    return customer
