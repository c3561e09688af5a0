"""Refunds: full or partial, never more than is left, sent to the gateway exactly once.

The refund's amount is reserved (a `pending` row, committed under the intent's row lock) before
the gateway is called, so concurrent refunds can never together exceed what was paid. Like
`intents.create_intent`, `create_refund` leaves the request's transaction (`uow`) untouched until
the provider has answered.
"""

from __future__ import annotations

from datetime import UTC, datetime

from billing_shared.db.owned import OwnedReads
from billing_shared.db.uow import UnitOfWork
from billing_shared.ids import new_id
from payments.bootstrap import Deps
from payments.domain import refunds
from payments.domain.commands import CreateRefund
from payments.domain.gateways import not_configured
from payments.domain.refunds import Refund
from payments.domain.request_keys import reused_with_another_request
from payments.service_layer.provider_calls import CallPending, resume, unanswered
from payments.service_layer.refund_calls import apply_refund, call_refund
from payments.store.intents import IntentRepository
from payments.store.refunds import RefundRepository


def create_refund(uow: UnitOfWork, deps: Deps, cmd: CreateRefund) -> Refund:
    """Refund a succeeded payment, all that is left or `amount` of it: the merchant's decision only.
    More than is left is a 422 saying how much is; a gateway that did not answer is a 503 naming the
    refund kept."""
    cmd.scope.require_merchant("issue refunds")
    refund, call = _reserve(deps, cmd)
    if not call:
        return refund
    with deps.db.unit_of_work(write=False) as read:
        found = IntentRepository(read.session).get(refund.payment_intent_id)
    intent = cmd.scope.visible(found, "payment intent", refund.payment_intent_id)
    try:
        answer = call_refund(deps, refund, intent)
    except CallPending as exc:
        raise unanswered(intent.gateway_id, "refund", refund.id, "refundId") from exc
    return apply_refund(uow, refund.id, answer)


def _reserve(deps: Deps, cmd: CreateRefund) -> tuple[Refund, bool]:
    """Step 1: the refund row, its amount checked against what is left and reserved, committed.
    Returns (refund, call): `call` is False when this same request already has its answer."""
    request = cmd.request
    now = datetime.now(UTC)
    with deps.db.unit_of_work() as reserve:
        intent_repo, refund_repo = IntentRepository(reserve.session), RefundRepository(reserve.session)
        prior = (
            refund_repo.by_request_key(request.client_id, request.key, since=request.since)
            if request.key
            else None
        )
        if prior is None:
            intent = intent_repo.get(cmd.payment_intent_id, for_update=True)
            if intent is None or not cmd.scope.sees(intent.customer_id):
                raise refunds.unknown_intent(cmd.payment_intent_id)
            if intent.gateway_id not in deps.providers:
                raise not_configured(intent.gateway_id)
            in_flight = refund_repo.in_flight_amount(intent.id)
            amount = refunds.check_refund(intent, amount=cmd.amount, in_flight=in_flight)
            refund = refunds.create(
                refund_id=new_id("re"),
                intent=intent,
                amount=amount,
                reason=cmd.reason,
                client_id=request.client_id,
                idempotency_key=request.key,
                now=now,
            )
            refund_repo.add(refund, calling_since=now)
            reserve.commit()
            return refund, True
    if not prior.made_for(cmd):
        raise reused_with_another_request()
    return resume(deps, RefundRepository, prior, what="Refund", id_field="refundId")


REFUNDS = OwnedReads[Refund](RefundRepository, "refund")
get_refund = REFUNDS.one
list_refunds = REFUNDS.page
