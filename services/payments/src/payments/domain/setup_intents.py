"""Saving a card without charging it (a setup intent), authenticated first when the bank asks: the
same `nextAction` page flow as a payment. Pure: the provider's answers come in as data.

    requires_action ─► succeeded (the card is a saved payment method: `payment_method_id`)
            │
            ├────────► failed (nothing saved; a new setup intent may try again)
    processing ─► succeeded | failed

Nothing leaves `succeeded` or `failed`; a late or repeated answer changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from payments.domain.intents import GENERIC_DECLINE, NextActionView
from payments.domain.payment_provider import ProviderSetup

REQUIRES_ACTION, PROCESSING, SUCCEEDED, FAILED = "requires_action", "processing", "succeeded", "failed"
STATUSES = (REQUIRES_ACTION, PROCESSING, SUCCEEDED, FAILED)
FINAL = frozenset({SUCCEEDED, FAILED})


@dataclass(frozen=True)
class SetupIntent:
    id: str
    customer_id: str
    gateway_id: str
    status: str
    provider_reference: str
    created_at: datetime
    updated_at: datetime
    set_default: bool = False
    return_url: str | None = None
    next_action: NextActionView | None = None
    payment_method_id: str | None = None  # the saved method, once succeeded
    failure_code: str | None = None
    failure_message: str | None = None
    version: int = 1

    @property
    def final(self) -> bool:
        return self.status in FINAL


def recorded(
    setup_id: str,
    *,
    customer_id: str,
    gateway_id: str,
    set_default: bool,
    return_url: str | None,
    answer: ProviderSetup,
    now: datetime,
) -> SetupIntent:
    """The provider's first answer, as a new setup intent (its card not yet recorded as a method)."""
    started = SetupIntent(
        id=setup_id,
        customer_id=customer_id,
        gateway_id=gateway_id,
        status=REQUIRES_ACTION,
        provider_reference=answer.reference,
        created_at=now,
        updated_at=now,
        set_default=set_default,
        return_url=return_url,
    )
    return _answered(started, answer, now, version=1)


def answered(setup: SetupIntent, answer: ProviderSetup, now: datetime) -> SetupIntent:
    """A later answer (a refresh after the customer's challenge); a final setup never changes."""
    if setup.final or answer.status == setup.status:
        return setup
    return _answered(setup, answer, now, version=setup.version + 1)


def _answered(setup: SetupIntent, answer: ProviderSetup, now: datetime, *, version: int) -> SetupIntent:
    status = answer.status if answer.status in STATUSES else setup.status
    action = answer.next_action
    return replace(
        setup,
        status=status,
        next_action=NextActionView(action.type, action.url) if action and status == REQUIRES_ACTION else None,
        failure_code=(answer.failure_code or "setup_failed") if status == FAILED else None,
        failure_message=(answer.failure_message or GENERIC_DECLINE) if status == FAILED else None,
        updated_at=now,
        version=version,
    )


def with_method(setup: SetupIntent, payment_method_id: str) -> SetupIntent:
    return replace(setup, payment_method_id=payment_method_id)
