"""Saving, choosing and removing a customer's payment methods.

Each provider call (its customer, attaching, detaching) is made outside any transaction of ours
and under an idempotency key derived from our ids or the client's request, so a retry after a lost
answer or a crash is the same call to the provider: it never saves a card twice for one request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from billing_shared.commands import OnResource
from billing_shared.db.owned import OwnedReads
from billing_shared.db.uow import UnitOfWork
from billing_shared.errors import FieldError, Problem
from billing_shared.ids import new_id
from billing_shared.projection import await_known
from payments.bootstrap import Deps
from payments.domain import payment_methods
from payments.domain.commands import AttachPaymentMethod
from payments.domain.payment_methods import PaymentMethod
from payments.domain.payment_provider import ProviderError, SavedCard
from payments.domain.request_keys import RequestKey
from payments.service_layer.gateways import choose_gateway
from payments.service_layer.provider_calls import provider_for, provider_key
from payments.store.payment_methods import PaymentMethodRepository

T = TypeVar("T")

METHODS = OwnedReads[PaymentMethod](PaymentMethodRepository, "payment method")
get_method = METHODS.one
list_methods = METHODS.page


def attach_method(uow: UnitOfWork, deps: Deps, cmd: AttachPaymentMethod) -> PaymentMethod:
    """Save the token's card for the customer at the gateway (`test` by default): the provider's
    customer first (made once), then the card attached to it. The customer's first method, or one
    asked to be (`setDefault`), becomes the default."""
    if not cmd.scope.sees(cmd.customer_id) or not await_customer(deps, cmd.customer_id):
        raise Problem(
            422, f"No customer '{cmd.customer_id}'.", errors=[FieldError("customerId", "unknown customer")]
        )
    gateway_id = choose_gateway(deps, cmd.gateway_id, currency=None, capture_method="automatic")
    return save_card(
        uow,
        deps,
        customer_id=cmd.customer_id,
        gateway_id=gateway_id,
        token=cmd.payment_method_token,
        request=cmd.request,
        set_default=cmd.set_default,
    )


def save_card(
    uow: UnitOfWork,
    deps: Deps,
    *,
    customer_id: str,
    gateway_id: str,
    token: str,
    request: RequestKey,
    set_default: bool,
) -> PaymentMethod:
    """The provider's customer (made once), the token's card attached to it, and the method
    recorded in `uow`: the same request again (client and Idempotency-Key) finds the card it saved.
    Also how a payment with `savePaymentMethod` keeps its card, before it is charged."""
    method_id = new_id("pm")
    provider_customer = provider_answer(
        gateway_id, lambda: provider_customer_of(deps, customer_id, gateway_id), field="customerId"
    )
    card = provider_answer(
        gateway_id,
        lambda: provider_for(deps, gateway_id).attach_method(
            customer_reference=provider_customer,
            token=token,
            idempotency_key=request_provider_key(request, method_id),
        ),
        field="paymentMethodToken",
    )
    return record_saved_card(
        uow,
        customer_id=customer_id,
        gateway_id=gateway_id,
        provider_customer=provider_customer,
        card=card,
        set_default=set_default,
        method_id=method_id,
    )


def record_saved_card(
    uow: UnitOfWork,
    *,
    customer_id: str,
    gateway_id: str,
    provider_customer: str,
    card: SavedCard,
    set_default: bool,
    method_id: str | None = None,
) -> PaymentMethod:
    """A card the provider saved (attached, or by a setup intent) recorded as the customer's
    method, once: the same provider reference again is the method recorded before. The customer's
    first method, or one asked to be, becomes the default."""
    repo = PaymentMethodRepository(uow.session)
    now = datetime.now(UTC)
    earlier = repo.by_provider_reference(gateway_id, card.reference)
    if earlier is not None:  # this request's earlier attempt saved it (its answer was lost)
        return earlier
    method, attached = payment_methods.attach(
        method_id or new_id("pm"), customer_id, gateway_id, provider_customer, card, now
    )
    repo.add(method)
    uow.emit(attached)
    current = repo.default_of(customer_id, for_update=True)
    if payment_methods.becomes_default(current, asked=set_default):
        _put_default(uow, repo, current, method, now)
    return method


def set_default(uow: UnitOfWork, cmd: OnResource) -> PaymentMethod:
    """The method becomes its customer's default (already the default: no change, no event)."""
    repo = PaymentMethodRepository(uow.session)
    customer_id = cmd.visible(repo.get(cmd.id), "payment method").customer_id
    current = repo.default_of(customer_id, for_update=True)
    method = cmd.visible(repo.get(cmd.id), "payment method")  # not detached while we waited
    _put_default(uow, repo, current, method, datetime.now(UTC))
    return method


def detach_method(uow: UnitOfWork, deps: Deps, cmd: OnResource) -> None:
    """Detached at the provider, then here (a retry after a crash between the two detaches again,
    which the provider answers the same way); it is then unknown to every reader, and the
    customer's default if it was one is gone."""
    with deps.db.unit_of_work(write=False) as read:
        method = cmd.visible(PaymentMethodRepository(read.session).get(cmd.id), "payment method")
    provider_answer(
        method.gateway_id,
        lambda: provider_for(deps, method.gateway_id).detach_method(
            method.provider_reference, idempotency_key=provider_key(method.id, "detach")
        ),
        field="id",
    )
    repo = PaymentMethodRepository(uow.session)
    now = datetime.now(UTC)
    current = repo.default_of(method.customer_id, for_update=True)
    locked = repo.get(method.id, for_update=True)
    if locked is None:
        return  # a concurrent request detached it first
    after, events = payment_methods.detach(locked, now)
    repo.save(after, locked.version)
    for e in events:
        uow.emit(e)
    default, changed = payment_methods.after_detach(current, after)
    if changed:
        repo.put_default(default, now)
        for e in changed:
            uow.emit(e)


def default_method(uow: UnitOfWork, customer_id: str) -> PaymentMethod | None:
    """The customer's default method, if it has one (attached by construction)."""
    repo = PaymentMethodRepository(uow.session)
    chosen = repo.default_of(customer_id).payment_method_id
    return repo.get(chosen) if chosen else None


def provider_customer_of(deps: Deps, customer_id: str, gateway_id: str) -> str:
    """The provider's customer for ours at this gateway, made at the provider the first time (under
    a key of the pair, so a race or a retry makes one) and kept. ProviderError when it refused or
    did not answer."""
    with deps.db.unit_of_work(write=False) as read:
        known = PaymentMethodRepository(read.session).provider_customer(customer_id, gateway_id)
    if known is not None:
        return known
    reference = provider_for(deps, gateway_id).create_customer(
        customer_id=customer_id, idempotency_key=provider_key(customer_id, f"customer:{gateway_id}")
    )
    with deps.db.unit_of_work() as write:
        kept = PaymentMethodRepository(write.session).keep_provider_customer(
            customer_id, gateway_id, reference, datetime.now(UTC)
        )
        write.commit()
    return kept


def record_customer(uow: UnitOfWork, customer_id: str) -> None:
    """CustomerCreated: a customer methods may be saved for."""
    PaymentMethodRepository(uow.session).record_customer(customer_id, datetime.now(UTC))


def await_customer(deps: Deps, customer_id: str) -> bool:
    found = await_known(
        deps.db,
        lambda session: True if PaymentMethodRepository(session).customer_known(customer_id) else None,
        deps.settings.projection_wait_seconds,
    )
    return bool(found)


def _put_default(
    uow: UnitOfWork,
    repo: PaymentMethodRepository,
    current: payment_methods.DefaultMethod,
    method: PaymentMethod,
    now: datetime,
) -> None:
    after, events = payment_methods.change_default(current, method)
    if events:
        repo.put_default(after, now)
        for e in events:
            uow.emit(e)


def request_provider_key(request: RequestKey, row_id: str, action: str = "attach") -> str:
    """The same request (client and Idempotency-Key) is the same call at the provider; without a
    key, each request is its own (keyed by the row it makes)."""
    if not request.key:
        return provider_key(row_id, action)
    digest = hashlib.sha256(f"{request.client_id}\n{request.key}".encode()).hexdigest()[:40]
    return f"{action}:{digest}"


def provider_answer(gateway_id: str, call: Callable[[], T], *, field: str) -> T:
    """The provider's answer; a 503 when it did not answer (retry), a 422 naming `field` when it
    refused (nothing was saved)."""
    try:
        return call()
    except ProviderError as exc:
        if exc.retryable:
            raise Problem(
                503, f"Gateway '{gateway_id}' did not answer; retry.", headers={"Retry-After": "2"}
            ) from exc
        raise Problem(
            422,
            f"Gateway '{gateway_id}' refused: {exc}",
            errors=[FieldError(field, exc.code or "refused by the gateway")],
        ) from exc
