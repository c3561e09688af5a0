"""A payment intent's states: the domain's own vocabulary. Each provider adapter translates its
provider's states into these (never the other way round); `payments.domain.intents` holds the rules
of how an intent moves between them."""

from __future__ import annotations

REQUIRES_PAYMENT_METHOD = "requires_payment_method"
REQUIRES_ACTION = "requires_action"
PROCESSING = "processing"
REQUIRES_CAPTURE = "requires_capture"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELED = "canceled"
