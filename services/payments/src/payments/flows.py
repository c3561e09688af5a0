"""The protocol around every provider call, shared by the API and the worker (ADR 0003).

A provider call never runs inside a database transaction (it may take seconds, and a transaction
held that long would block every other writer of the row), and it must never charge twice:

1. *record*: the intent (or refund) row is committed first, its provider call *claimed*
   (`provider_call_at`); from then on the database knows money may move;
2. *call*: the provider is called with an idempotency key derived from our row's id, so any later
   call for the same row (a client's retry, the worker after a crash) is the same call to it;
3. *apply*: the answer is applied in a second transaction, conditional on the row still waiting
   for it, raising the events of the change.

A call whose answer was lost (provider unreachable, process killed) leaves the row waiting; the
worker drives it again later with the same key (`recover`). The provider answers a repeated key
with the first call's result, so the worst a crash can do is delay an answer.

A renewal invoice's off-session charge (InvoicePaymentRequested) follows the same protocol: the
event's handler records the intent in the consumer's transaction (with the inbox entry), unclaimed;
the worker's `charge_off_session` loop claims, calls (`off_session=True`) and applies it moments
later, and `recover` drives it if that process dies mid-call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from billing_shared.db.uow import Database, UnitOfWork
from billing_shared.errors import Problem
from billing_shared.ids import new_id
from payments.config import PaymentsSettings
from payments.domain import intents as rules
from payments.domain import refunds as refund_rules
from payments.domain import webhooks
from payments.domain.intents import PaymentIntent
from payments.domain.refunds import Refund
from payments.providers.base import (
    PaymentProvider,
    ProviderError,
    ProviderIntent,
    ProviderRefund,
    WebhookEvent,
)
from payments.store.intents import IntentRepository, RefundRepository
from payments.store.webhooks import WebhookLog

log = logging.getLogger(__name__)

T = TypeVar("T")


def provider_key(row_id: str, action: str) -> str:
    """The provider idempotency key of one action on one of our rows: the same forever."""
    return f"{row_id}:{action}"


def metadata_of(intent: PaymentIntent) -> dict[str, str]:
    if intent.order_id is not None:
        return {"paymentIntentId": intent.id, "orderId": intent.order_id, "customerId": intent.customer_id}
    return {
        "paymentIntentId": intent.id,
        "invoiceId": intent.invoice_id or "",
        "subscriptionId": intent.subscription_id or "",
        "attempt": str(intent.attempt or ""),
        "customerId": intent.customer_id,
    }


# The failure code of a renewal intent whose gateway is not configured in this environment: it is
# recorded failed at once (no provider was called, no money can have moved).
GATEWAY_NOT_CONFIGURED = "gateway_not_configured"


class CallPending(Exception):
    """The provider could not be reached; the row waits and the worker will drive it again."""

    def __init__(self, row_id: str, message: str) -> None:
        super().__init__(message)
        self.row_id = row_id


@dataclass
class Flows:
    db: Database
    providers: dict[str, PaymentProvider]
    settings: PaymentsSettings

    def provider(self, gateway_id: str) -> PaymentProvider:
        found = self.providers.get(gateway_id)
        if found is None:
            raise Problem(503, f"Gateway '{gateway_id}' is not configured in this environment.")
        return found

    def _windows(self, now: datetime, *, idle: float) -> dict[str, datetime]:
        return {
            "now": now,
            "stale_before": now - timedelta(seconds=self.settings.stale_call_seconds),
            "idle_before": now - timedelta(seconds=idle),
        }

    # -- intents -------------------------------------------------------------------------------

    def claim_intent(self, intent_id: str, *, idle: float = 0.0) -> bool:
        with self.db.unit_of_work() as uow:
            ok = IntentRepository(uow.session).claim_call(
                intent_id, **self._windows(datetime.now(UTC), idle=idle)
            )
            uow.commit()
        return ok

    def _guarded(self, table: str, row_id: str, call: Callable[[], T]) -> T | ProviderError:
        """Make the call; a retryable failure releases the claim and raises CallPending, a refusal
        is returned for the caller to record."""
        try:
            return call()
        except ProviderError as exc:
            if not exc.retryable:
                return exc
            self._release(table, row_id)
            raise CallPending(row_id, str(exc)) from exc
        except Exception as exc:
            log.exception("provider call failed unexpectedly", extra={"row": row_id})
            self._release(table, row_id)
            raise CallPending(row_id, "The gateway call failed unexpectedly.") from exc

    def _release(self, table: str, row_id: str) -> None:
        with self.db.unit_of_work() as uow:
            repo = IntentRepository(uow.session) if table == "intent" else RefundRepository(uow.session)
            repo.release_call(row_id, datetime.now(UTC))
            uow.commit()

    def call_create(self, intent: PaymentIntent) -> ProviderIntent | ProviderError:
        """Step 2 for an intent whose call this process has claimed."""
        provider = self.provider(intent.gateway_id)
        return self._guarded(
            "intent",
            intent.id,
            lambda: provider.create_intent(
                amount=intent.amount,
                currency=intent.currency,
                payment_method_token=intent.payment_method_token,
                idempotency_key=provider_key(intent.id, "create"),
                metadata=metadata_of(intent),
                return_url=intent.return_url,
                capture_method=intent.capture_method,
                off_session=intent.off_session,
            ),
        )

    def apply_create(
        self, uow: UnitOfWork, intent_id: str, answer: ProviderIntent | ProviderError
    ) -> PaymentIntent:
        """Step 3, in the caller's transaction: only the first answer for the row is applied."""
        repo = IntentRepository(uow.session)
        intent = repo.get(intent_id, for_update=True)
        if intent is None:
            raise RuntimeError(f"payment intent {intent_id} vanished")
        if not intent.provider_pending:
            return intent  # another process applied the same answer first
        now = datetime.now(UTC)
        if isinstance(answer, ProviderError):
            after, events = rules.refused(intent, code=answer.code, message=str(answer), now=now)
        else:
            after, events = rules.apply_answer(intent, answer, now)
        if not repo.save(after, intent.version, call_done=True):
            raise RuntimeError(f"payment intent {intent_id} changed under its row lock")
        for e in events:
            uow.emit(e)
        if after.gateway_reference:
            after = self._apply_early_webhooks(uow, after)
        return after

    def _apply_early_webhooks(self, uow: UnitOfWork, intent: PaymentIntent) -> PaymentIntent:
        """Deliveries that arrived before the intent knew its reference are applied now, in order."""
        log_ = WebhookLog(uow.session)
        for event in log_.unmatched(intent.gateway_id, intent.gateway_reference or ""):
            intent = self.apply_webhook(uow, intent, event)
        return intent

    def apply_webhook(self, uow: UnitOfWork, intent: PaymentIntent, event: WebhookEvent) -> PaymentIntent:
        """One verified delivery on a locked intent; recorded as applied to it."""
        refunds = RefundRepository(uow.session)
        pending = refunds.pending_of(intent.id)
        effect = webhooks.apply(
            intent, event, pending_refunds=pending, new_refund_id=new_id("re"), now=datetime.now(UTC)
        )
        if effect.intent is not intent and not IntentRepository(uow.session).save(
            effect.intent, intent.version
        ):
            raise RuntimeError(f"payment intent {intent.id} changed under its row lock")
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

    def recover_intent(self, intent_id: str) -> None:
        """The worker's drive of a call whose answer was lost: same key, so the same call; then a
        fresh read, because a provider replays a repeated key's *first* answer, not today's state."""
        self.drive_intent(intent_id, idle=self.settings.retry_after_seconds)

    def drive_intent(self, intent_id: str, *, idle: float) -> None:
        """Claim (if no call is in flight and the last ended `idle` seconds ago, or the one in flight
        is stale), call under the row's provider key, apply; then refresh a non-final answer."""
        if not self.claim_intent(intent_id, idle=idle):
            return
        with self.db.unit_of_work(write=False) as uow:
            intent = IntentRepository(uow.session).get(intent_id)
        if intent is None:
            return
        answer = self.call_create(intent)
        with self.db.unit_of_work() as uow:
            after = self.apply_create(uow, intent_id, answer)
            uow.commit()
        if after.gateway_reference and after.status not in rules.TERMINAL:
            try:
                after = self.refresh(after)
            except ProviderError as exc:
                log.warning(
                    "could not refresh a recovered intent",
                    extra={"payment_intent": intent_id, "error": str(exc)},
                )
        log.info("payment intent driven", extra={"payment_intent": intent_id, "status": after.status})

    def refresh(self, intent: PaymentIntent) -> PaymentIntent:
        """Bring a non-final intent up to the provider's current state (retrieve is read-only)."""
        provider = self.provider(intent.gateway_id)
        current = provider.retrieve(intent.gateway_reference or "")
        with self.db.unit_of_work() as uow:
            repo = IntentRepository(uow.session)
            locked = repo.get(intent.id, for_update=True)
            if locked is None:
                return intent
            after, events = rules.apply_answer(locked, current, datetime.now(UTC))
            if after is not locked:
                repo.save(after, locked.version)
                for e in events:
                    uow.emit(e)
            uow.commit()
        return after

    # -- renewal invoices: off-session charges ------------------------------------------------------

    def record_renewal(self, uow: UnitOfWork, data: dict[str, Any]) -> PaymentIntent | None:
        """Step 1 for InvoicePaymentRequested, in the consumer's transaction: one intent per
        (invoice, attempt), its provider call not yet claimed. A repeated request (a redelivery, a
        replay, another event id for the same invoice and attempt) records nothing: None."""
        now = datetime.now(UTC)
        intent, events = rules.create_renewal(
            intent_id=new_id("pi"),
            invoice_id=data["invoiceId"],
            subscription_id=data["subscriptionId"],
            attempt=data["attempt"],
            customer_id=data["customerId"],
            amount=data["amount"],
            currency=data["currency"],
            gateway_id=data["gatewayId"],
            payment_method_token=data["paymentMethodToken"],
            now=now,
        )
        repo = IntentRepository(uow.session)
        if not repo.add_unless_invoice_attempt_exists(intent):
            existing = repo.for_invoice_attempt(intent.invoice_id or "", intent.attempt or 0)
            if existing is not None and (existing.amount, existing.currency, existing.customer_id) != (
                intent.amount,
                intent.currency,
                intent.customer_id,
            ):
                log.warning(
                    "renewal charge requested again with other data; the first request stands",
                    extra={
                        "invoice": intent.invoice_id,
                        "attempt": intent.attempt,
                        "payment_intent": existing.id,
                    },
                )
            return None
        for e in events:
            uow.emit(e)
        if intent.gateway_id not in self.providers:
            # Nothing here can call that gateway: say so now (no provider was called, no money
            # moved) rather than leave the invoice waiting for a charge that cannot happen.
            after, failed = rules.refused(
                intent,
                code=GATEWAY_NOT_CONFIGURED,
                message=f"Gateway '{intent.gateway_id}' is not configured in this environment.",
                now=now,
            )
            repo.save(after, intent.version, call_done=True)
            for e in failed:
                uow.emit(e)
            return after
        return intent

    def charge_off_session(self, limit: int = 50) -> int:
        """Steps 2 and 3 for renewal intents recorded and never sent: claimed at once (idle 0),
        called off-session, applied. The worker runs this every `off_session_interval_seconds`;
        a call whose answer is lost is left to `recover`, like any other."""
        with self.db.unit_of_work(write=False) as uow:
            due = IntentRepository(uow.session).never_called(limit=limit)
        for iid in due:
            try:
                self.drive_intent(iid, idle=0.0)
            except (CallPending, Problem) as exc:
                log.warning(
                    "off-session charge not completed; will retry",
                    extra={"payment_intent": iid, "error": str(exc)},
                )
        return len(due)

    # -- capture and cancel --------------------------------------------------------------------

    def capture_or_cancel(self, uow: UnitOfWork, intent: PaymentIntent, action: str) -> PaymentIntent:
        """The provider call first (no transaction open), then the answer applied in `uow`. Two
        concurrent requests send the same key, so the provider acts once and both get its answer."""
        provider = self.provider(intent.gateway_id)
        call = provider.capture if action == "capture" else provider.cancel
        try:
            answer = call(intent.gateway_reference or "", idempotency_key=provider_key(intent.id, action))
        except ProviderError as exc:
            if exc.retryable:
                raise Problem(
                    503, f"Gateway '{intent.gateway_id}' is unavailable: {exc}", headers={"Retry-After": "5"}
                ) from exc
            raise Problem(
                409, f"Gateway '{intent.gateway_id}' refused to {action} the payment: {exc}"
            ) from exc
        repo = IntentRepository(uow.session)
        locked = repo.get(intent.id, for_update=True)
        if locked is None:
            raise RuntimeError(f"payment intent {intent.id} vanished")
        after, events = rules.apply_answer(locked, answer, datetime.now(UTC))
        if after is not locked:
            repo.save(after, locked.version)
            for e in events:
                uow.emit(e)
        return after

    # -- refunds -------------------------------------------------------------------------------

    def claim_refund(self, refund_id: str, *, idle: float = 0.0) -> bool:
        with self.db.unit_of_work() as uow:
            ok = RefundRepository(uow.session).claim_call(
                refund_id, **self._windows(datetime.now(UTC), idle=idle)
            )
            uow.commit()
        return ok

    def call_refund(self, refund: Refund, intent: PaymentIntent) -> ProviderRefund | ProviderError:
        provider = self.provider(intent.gateway_id)
        return self._guarded(
            "refund",
            refund.id,
            lambda: provider.refund(
                intent.gateway_reference or "",
                amount=refund.amount,
                reason=refund.reason,
                idempotency_key=provider_key(refund.id, "refund"),
            ),
        )

    def apply_refund(self, uow: UnitOfWork, refund_id: str, answer: ProviderRefund | ProviderError) -> Refund:
        refunds, intents = RefundRepository(uow.session), IntentRepository(uow.session)
        unlocked = refunds.get(refund_id)
        if unlocked is None:
            raise RuntimeError(f"refund {refund_id} vanished")
        # The intent's lock first, as every writer of an intent and its refunds takes them (webhooks
        # included): one order of locks, no deadlock.
        intent = intents.get(unlocked.payment_intent_id, for_update=True)
        refund = refunds.get(refund_id, for_update=True)
        if intent is None or refund is None or not refund.provider_pending:
            return refund or unlocked
        now = datetime.now(UTC)
        if isinstance(answer, ProviderError):
            done, after, events = refund_rules.settle(
                refund, intent, status=refund_rules.FAILED, reference=None, message=str(answer), now=now
            )
        else:
            status = answer.status if answer.status in refund_rules.STATUSES else refund_rules.PENDING
            done, after, events = refund_rules.settle(
                refund, intent, status=status, reference=answer.reference, message=None, now=now
            )
        refunds.save(done, call_done=True)
        if after is not intent and not intents.save(after, intent.version):
            raise RuntimeError(f"payment intent {intent.id} changed under its row lock")
        for e in events:
            uow.emit(e)
        return done

    def recover_refund(self, refund_id: str) -> None:
        if not self.claim_refund(refund_id, idle=self.settings.retry_after_seconds):
            return
        with self.db.unit_of_work(write=False) as uow:
            refund = RefundRepository(uow.session).get(refund_id)
            intent = IntentRepository(uow.session).get(refund.payment_intent_id) if refund else None
        if refund is None or intent is None:
            return
        answer = self.call_refund(refund, intent)
        with self.db.unit_of_work() as uow:
            self.apply_refund(uow, refund_id, answer)
            uow.commit()

    # -- webhooks that found no intent ---------------------------------------------------------------

    def apply_stranded_webhooks(self, limit: int = 100) -> int:
        """Deliveries recorded while no intent held their reference, whose intent now does. The create
        answer applies them itself; this catches the one that committed in the same instant."""
        with self.db.unit_of_work(write=False) as uow:
            stranded = WebhookLog(uow.session).stranded(limit)
        for gateway_id, event_id, reference in stranded:
            with self.db.unit_of_work() as uow:
                intent = IntentRepository(uow.session).by_reference(gateway_id, reference, for_update=True)
                event = WebhookLog(uow.session).unapplied(gateway_id, event_id)
                if intent is not None and event is not None:
                    self.apply_webhook(uow, intent, event)
                uow.commit()
        return len(stranded)

    # -- the worker's sweep ------------------------------------------------------------------------

    def recover(self, limit: int = 50) -> int:
        """Drive every call whose answer was lost, apply stranded deliveries; returns how many rows
        were tried."""
        now = datetime.now(UTC)
        windows = self._windows(now, idle=self.settings.retry_after_seconds)
        with self.db.unit_of_work(write=False) as uow:
            intent_ids = IntentRepository(uow.session).waiting_for_provider(
                stale_before=windows["stale_before"], idle_before=windows["idle_before"], limit=limit
            )
            refund_ids = RefundRepository(uow.session).waiting_for_provider(
                stale_before=windows["stale_before"], idle_before=windows["idle_before"], limit=limit
            )
        for iid in intent_ids:
            try:
                self.recover_intent(iid)
            except (CallPending, Problem) as exc:  # unreachable, or not configured in this process
                log.warning(
                    "gateway call not completed; will retry", extra={"payment_intent": iid, "error": str(exc)}
                )
        for rid in refund_ids:
            try:
                self.recover_refund(rid)
            except (CallPending, Problem) as exc:
                log.warning(
                    "gateway call not completed; will retry", extra={"refund": rid, "error": str(exc)}
                )
        return len(intent_ids) + len(refund_ids) + self.apply_stranded_webhooks()
