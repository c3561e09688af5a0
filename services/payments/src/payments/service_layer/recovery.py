"""The worker's sweep (ADR 0003): every provider call whose answer was lost is driven again under
the same provider key, and webhook deliveries stranded without their intent are applied.

A call is lost when its process died mid-call (its claim went stale after `stale_call_seconds`), or
when the provider did not answer and nobody retried (`retry_after_seconds` after the claim was
released). We drive it rather than give up because we cannot know whether the provider acted: only
asking again under the same key tells us.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from billing_shared.errors import Problem
from payments.bootstrap import Deps
from payments.service_layer.intent_calls import drive_intent
from payments.service_layer.provider_calls import CallPending, claim_windows
from payments.service_layer.refund_calls import drive_refund
from payments.service_layer.webhooks import apply_stranded_webhooks
from payments.store.intents import IntentRepository
from payments.store.refunds import RefundRepository

log = logging.getLogger(__name__)


def recover(deps: Deps, limit: int = 50) -> int:
    """Drive every call whose answer was lost, apply stranded deliveries; returns how many rows
    were tried. A gateway still unreachable, or not configured in this process, is logged and its
    rows left waiting for the next sweep."""
    idle = deps.settings.retry_after_seconds
    windows = claim_windows(deps.settings, datetime.now(UTC), idle=idle)
    with deps.db.unit_of_work(write=False) as uow:
        intent_ids = IntentRepository(uow.session).waiting_for_provider(
            stale_before=windows["stale_before"], idle_before=windows["idle_before"], limit=limit
        )
        refund_ids = RefundRepository(uow.session).waiting_for_provider(
            stale_before=windows["stale_before"], idle_before=windows["idle_before"], limit=limit
        )
    for intent_id in intent_ids:
        try:
            drive_intent(deps, intent_id, idle=idle)
        except (CallPending, Problem) as exc:
            log.warning(
                "gateway call not completed; will retry",
                extra={"payment_intent": intent_id, "error": str(exc)},
            )
    for refund_id in refund_ids:
        try:
            drive_refund(deps, refund_id, idle=idle)
        except (CallPending, Problem) as exc:
            log.warning(
                "gateway call not completed; will retry", extra={"refund": refund_id, "error": str(exc)}
            )
    return len(intent_ids) + len(refund_ids) + apply_stranded_webhooks(deps)
