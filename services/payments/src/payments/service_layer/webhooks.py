"""A gateway's webhook deliveries: verified by its adapter, recorded once by the provider's event id,
applied to the intent holding their reference, in any order (`payments.domain.webhooks`).

A delivery can outrun the create call's answer (the test gateway sends `charge.succeeded` at once):
no intent holds its reference yet, so it is kept and applied when the answer lands
(`apply_early_webhooks`), or by the worker's sweep if both committed in the same instant
(`apply_stranded_webhooks`). Locks are taken in one order everywhere: the intent's row, then its
refunds."""

from __future__ import annotations

from datetime import UTC, datetime

from billing_shared.db.uow import UnitOfWork
from billing_shared.errors import Problem, not_found
from billing_shared.ids import new_id
from payments.bootstrap import Deps
from payments.domain import webhooks
from payments.domain.commands import ReceiveWebhook
from payments.domain.gateways import KNOWN
from payments.domain.intents import PaymentIntent
from payments.domain.payment_provider import WEBHOOK_IGNORED, SignatureError, WebhookEvent
from payments.domain.webhooks import Receipt
from payments.store.intents import IntentRepository
from payments.store.refunds import RefundRepository
from payments.store.webhooks import WebhookLog


def receive_webhook(uow: UnitOfWork, deps: Deps, cmd: ReceiveWebhook) -> Receipt:
    """One delivery: 404 for a gateway this code does not know, 400 (nothing changed) for one whose
    signature cannot be verified (a gateway not configured here included), then recorded and
    applied once."""
    if cmd.gateway_id not in KNOWN:
        raise not_found("payment gateway", cmd.gateway_id)
    provider = deps.providers.get(cmd.gateway_id)
    if provider is None:
        raise Problem(
            400,
            f"Gateway '{cmd.gateway_id}' is not configured in this environment, so its signatures "
            "cannot be verified.",
        )
    try:
        event = provider.parse_webhook(cmd.headers, cmd.body)
    except (SignatureError, ValueError) as exc:
        raise Problem(400, f"The webhook could not be verified: {exc}") from exc
    if not WebhookLog(uow.session).first_delivery(cmd.gateway_id, event, datetime.now(UTC)):
        return Receipt(duplicate=True)
    if event.kind == WEBHOOK_IGNORED or not event.reference:
        return Receipt()
    intent = IntentRepository(uow.session).by_reference(cmd.gateway_id, event.reference, for_update=True)
    if intent is None:
        return Receipt(held=True)
    after = apply_webhook(uow, intent, event)
    return Receipt(applied=after is not intent, payment_intent_id=intent.id)


def apply_webhook(uow: UnitOfWork, intent: PaymentIntent, event: WebhookEvent) -> PaymentIntent:
    """One verified delivery on a locked intent; recorded as applied to it."""
    refunds = RefundRepository(uow.session)
    pending = refunds.pending_of(intent.id)
    effect = webhooks.apply(
        intent, event, pending_refunds=pending, new_refund_id=new_id("re"), now=datetime.now(UTC)
    )
    if effect.intent is not intent:
        IntentRepository(uow.session).save(effect.intent, intent.version)
    known = {r.id for r in pending}
    for r in effect.refunds:
        if r.id in known:
            refunds.save(r)
        else:
            refunds.add(r, calling_since=None)
    for e in effect.events:
        uow.emit(e)
    WebhookLog(uow.session).mark_applied(intent.gateway_id, event.event_id, intent.id)
    return effect.intent


def apply_early_webhooks(uow: UnitOfWork, intent: PaymentIntent) -> PaymentIntent:
    """Deliveries that arrived before the intent knew its reference are applied now, in order."""
    for event in WebhookLog(uow.session).unmatched(intent.gateway_id, intent.gateway_reference or ""):
        intent = apply_webhook(uow, intent, event)
    return intent


def apply_stranded_webhooks(deps: Deps, limit: int = 100) -> int:
    """Deliveries recorded while no intent held their reference, whose intent now does. The create
    answer applies them itself; this catches the one that committed in the same instant."""
    with deps.db.unit_of_work(write=False) as uow:
        stranded = WebhookLog(uow.session).stranded(limit)
    for gateway_id, event_id, reference in stranded:
        with deps.db.unit_of_work() as uow:
            intent = IntentRepository(uow.session).by_reference(gateway_id, reference, for_update=True)
            event = WebhookLog(uow.session).unapplied(gateway_id, event_id)
            if intent is not None and event is not None:
                apply_webhook(uow, intent, event)
            uow.commit()
    return len(stranded)
