"""What the invoicing endpoints share: the database, the settings, who is calling, and the
hosted-link signer (made once per app: loading the secret may touch the disk)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

from flask import Response, current_app, jsonify
from sqlalchemy.orm import Session

from billing_shared.auth.flask import current_principal
from billing_shared.db.uow import Database
from billing_shared.errors import Problem, not_found
from invoicing.config import InvoicingSettings
from invoicing.domain.invoices import Invoice
from invoicing.hosted_links import HostedLinks
from invoicing.render import Party, parties
from invoicing.store.customers import CustomerProjection

_LINKS = "invoicing_hosted_links"


def db() -> Database:
    return cast(Database, current_app.extensions["billing_db"])


def settings() -> InvoicingSettings:
    return cast(InvoicingSettings, current_app.extensions["billing_settings"])


def hosted_links() -> HostedLinks:
    links = current_app.extensions.get(_LINKS)
    if links is None:
        links = current_app.extensions[_LINKS] = HostedLinks.from_settings(settings())
    return cast(HostedLinks, links)


def own_customer() -> str | None:
    """The customer a customer-role token is bound to; None for the merchant's API clients."""
    p = current_principal()
    return p.customer_id if p.role == "customer" else None


class _Owned(Protocol):
    @property
    def customer_id(self) -> str: ...


T = TypeVar("T", bound=_Owned)


def visible(found: T | None, kind: str, ident: str) -> T:
    """The resource, or 404 when it does not exist or belongs to another customer than the
    token's (never 403: that would confirm the id exists)."""
    own = own_customer()
    if found is None or (own is not None and found.customer_id != own):
        raise not_found(kind, ident)
    return found


def visible_invoice(inv: Invoice | None, invoice_id: str) -> Invoice:
    return visible(inv, "invoice", invoice_id)


def list_scope(requested: str | None) -> tuple[bool, str | None]:
    """(may list, the customerId filter to use): a customer token lists only its own; asking for
    another customer's gives an empty list, not an error."""
    own = own_customer()
    if own is None:
        return True, requested
    return (not requested or requested == own), own


def list_page(
    args: dict[str, Any],
    fetch: Callable[[Session, str | None, int], list[T]],
    wire: Callable[[Session, list[T]], list[dict[str, Any]]],
) -> Response:
    """The one list answer: scoped to a customer token's own customer, `limit` items in id order
    after `startingAfter` (fetched with one more to tell `hasMore`), as `{data, hasMore}`.
    `fetch(session, customer_id, n)` reads at most n; `wire(session, items)` shapes them."""
    allowed, customer_id = list_scope(args.get("customer_id"))
    if not allowed:
        return jsonify(data=[], hasMore=False)
    limit = args["limit"]
    with db().unit_of_work(write=False) as uow:
        found = fetch(uow.session, customer_id, limit + 1)
        data = wire(uow.session, found[:limit])
    return jsonify(data=data, hasMore=len(found) > limit)


def require_merchant(action: str, what: str) -> None:
    if current_principal().role == "customer":
        raise Problem(403, f"A customer token cannot {action} {what}; the merchant's API client can.")


def party_of(session: Session, customer_id: str) -> Party:
    return parties(settings(), customer_id, CustomerProjection(session).get(customer_id))
