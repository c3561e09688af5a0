"""Creating, changing and reading customers, and recording what other services' events say of them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from billing_shared.auth.scope import CustomerScope
from billing_shared.concurrency import check_if_match
from billing_shared.db.uow import UnitOfWork
from billing_shared.ids import new_id
from billing_shared.paging import Page, PageRequest
from customers.domain import customer as customer_rules
from customers.domain.commands import CreateCustomer, RecordDefaultMethod, UpdateCustomer
from customers.domain.customer import Customer
from customers.domain.references import reference_from
from customers.store.customers import CustomerRepository


def create_customer(uow: UnitOfWork, cmd: CreateCustomer) -> Customer:
    """A new customer (CustomerCreated)."""
    cmd.scope.require_merchant("create customers")
    customer, event = customer_rules.create(new_id("cus"), cmd, datetime.now(UTC))
    CustomerRepository(uow.session).add(customer)
    uow.emit(event)
    return customer


def update_customer(uow: UnitOfWork, cmd: UpdateCustomer) -> Customer:
    """Some fields changed (CustomerUpdated); no effective change is no new version and no event."""
    repo = CustomerRepository(uow.session)
    customer = cmd.scope.visible(repo.get(cmd.customer_id, for_update=True), "customer", cmd.customer_id)
    check_if_match(cmd.if_match, customer.version)
    updated, event = customer_rules.update(customer, cmd.changes, datetime.now(UTC))
    if event is not None:
        repo.save(updated, expected_version=customer.version)
        uow.emit(event)
    return updated


def get_customer(uow: UnitOfWork, scope: CustomerScope, customer_id: str) -> Customer:
    return scope.visible(CustomerRepository(uow.session).get(customer_id), "customer", customer_id)


def list_customers(
    uow: UnitOfWork, scope: CustomerScope, page: PageRequest, *, email: str | None = None
) -> Page[Customer]:
    """Oldest first; a customer token lists only its own customer."""
    repo = CustomerRepository(uow.session)
    return scope.page(None, lambda own: repo.page(page, email=email, only_id=own))


def record_reference(uow: UnitOfWork, event_name: str, data: dict[str, Any]) -> None:
    """The order, payment intent, invoice or subscription an event names, kept on its customer once."""
    ref = reference_from(event_name, data)
    if ref is None:
        return
    repo = CustomerRepository(uow.session)
    if not repo.has_reference(ref):
        repo.add_reference(ref, datetime.now(UTC))


def record_default_method(uow: UnitOfWork, cmd: RecordDefaultMethod) -> None:
    """PaymentMethodDefaultChanged: the customer shows payments' latest choice of default method."""
    repo = CustomerRepository(uow.session)
    customer = repo.get(cmd.customer_id, with_references=False, for_update=True)
    if customer is None:
        return  # not ours (a customer payments knows is one we created: never expected)
    after = customer_rules.with_default_method(
        customer, cmd.payment_method_id, cmd.default_version, datetime.now(UTC)
    )
    if after is not None:
        repo.save(after, expected_version=customer.version)


def record_credit_balance(uow: UnitOfWork, data: dict[str, Any]) -> None:
    """CustomerBalanceChanged: the customer shows invoicing's latest balance in that currency."""
    CustomerRepository(uow.session).record_credit(
        data["customerId"],
        data["currency"],
        int(data["endingBalance"]),
        int(data["version"]),
        datetime.now(UTC),
    )
