"""Renewal invoices charged off-session (ADR 0003): InvoicePaymentRequested records one intent per
(invoice, attempt) in the consumer's transaction, with its inbox entry and unclaimed; the worker's
`charge_off_session` loop claims, calls (`off_session=True`) and applies it moments later, and
`recovery.recover` drives it if that process dies mid-call."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from billing_shared.db.uow import UnitOfWork
from billing_shared.errors import Problem
from billing_shared.ids import new_id
from payments.bootstrap import Deps
from payments.domain import intents
from payments.domain.commands import RequestRenewalCharge
from payments.domain.intent_states import SUCCEEDED
from payments.domain.intents import PaymentIntent
from payments.domain.payment_methods import ChargedWith
from payments.service_layer.intent_calls import drive_intent
from payments.service_layer.provider_calls import CallPending
from payments.store.intents import IntentRepository
from payments.store.payment_methods import PaymentMethodRepository

log = logging.getLogger(__name__)


def record_renewal_charge(uow: UnitOfWork, deps: Deps, cmd: RequestRenewalCharge) -> PaymentIntent | None:
    """Step 1, in the consumer's transaction: one intent per (invoice, attempt), its provider call
    not yet claimed. A repeated request (a redelivery, a replay, another event id for the same
    invoice and attempt) records nothing: None. A gateway not configured here, or no method left
    to charge, fails it at once."""
    now = datetime.now(UTC)
    charged_with, gateway_id = method_for(uow, cmd)
    intent, events = intents.create_renewal(
        new_id("pi"), cmd, charged_with or ChargedWith(cmd.payment_method_token), gateway_id, now
    )
    repo = IntentRepository(uow.session)
    if not repo.add_unless_invoice_attempt_exists(intent):
        existing = repo.for_invoice_attempt(cmd.invoice_id, cmd.attempt)
        if existing is None:  # not a repeat: another live intent holds the invoice (one at most)
            holder = repo.live_holding(None, cmd.invoice_id)
            paid = holder is not None and holder.status == SUCCEEDED
            code = intents.ALREADY_PAID if paid else intents.PAYMENT_IN_PROGRESS
            message = ALREADY_PAID_MESSAGE if paid else IN_PROGRESS_MESSAGE
            after, failed = intents.refused(intent, code=code, message=message, now=now)
            repo.add(after, calling_since=None)
            for e in events + failed:
                uow.emit(e)
            return after
        if existing is not None and (existing.amount, existing.currency, existing.customer_id) != (
            intent.amount,
            intent.currency,
            intent.customer_id,
        ):
            log.warning(
                "renewal charge requested again with other data; the first request stands",
                extra={"invoice": cmd.invoice_id, "attempt": cmd.attempt, "payment_intent": existing.id},
            )
        return None
    for e in events:
        uow.emit(e)
    if charged_with is None:
        return _refuse(uow, repo, intent, intents.NO_PAYMENT_METHOD, NO_METHOD_MESSAGE, now)
    if intent.gateway_id not in deps.providers:
        message = f"Gateway '{intent.gateway_id}' is not configured in this environment."
        return _refuse(uow, repo, intent, intents.GATEWAY_NOT_CONFIGURED, message, now)
    return intent


IN_PROGRESS_MESSAGE = "Another payment of this invoice is in progress: this attempt charged nothing."
ALREADY_PAID_MESSAGE = "This invoice has been paid already: this attempt charged nothing."
NO_METHOD_MESSAGE = (
    "The subscription's payment method was removed and the customer has no default payment method."
)


def method_for(uow: UnitOfWork, cmd: RequestRenewalCharge) -> tuple[ChargedWith | None, str]:
    """What a renewal charges, and at which gateway: the subscription's method (a saved one by its
    id, else the gateway's token it names), or, when that saved method has been detached, the
    customer's default. None: nothing is left to charge."""
    methods = PaymentMethodRepository(uow.session)
    named = methods.find(cmd.payment_method_token)
    if named is None or named.customer_id != cmd.customer_id:
        return ChargedWith(cmd.payment_method_token), cmd.gateway_id  # a gateway's token
    if not named.attached:
        chosen = methods.default_of(cmd.customer_id).payment_method_id
        named = methods.get(chosen) if chosen else None
        if named is None:
            return None, cmd.gateway_id
    return ChargedWith.saved(named), named.gateway_id


def _refuse(
    uow: UnitOfWork, repo: IntentRepository, intent: PaymentIntent, code: str, message: str, now: datetime
) -> PaymentIntent:
    """Failed at once: nobody was called, no money can have moved, and the invoice hears so now
    rather than wait for a charge that cannot happen."""
    after, failed = intents.refused(intent, code=code, message=message, now=now)
    repo.save(after, intent.version, call_done=True)
    for e in failed:
        uow.emit(e)
    return after


def charge_off_session(deps: Deps, limit: int = 50) -> int:
    """Steps 2 and 3 for renewal intents recorded and never sent: claimed at once (idle 0), called
    off-session, applied. The worker runs this every `off_session_interval_seconds`; a call whose
    answer is lost is left to `recovery.recover`, like any other. Returns how many were due."""
    with deps.db.unit_of_work(write=False) as uow:
        due = IntentRepository(uow.session).never_called(limit=limit)
    for intent_id in due:
        try:
            drive_intent(deps, intent_id, idle=0.0)
        except (CallPending, Problem) as exc:
            log.warning(
                "off-session charge not completed; will retry",
                extra={"payment_intent": intent_id, "error": str(exc)},
            )
    return len(due)
