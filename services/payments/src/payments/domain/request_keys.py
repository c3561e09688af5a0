"""The request an intent or a refund was made for: the API client and the Idempotency-Key it sent.

The kit frees a request's Idempotency-Key when the answer is a 5xx (the gateway did not answer), so
the client may retry under the same key. Payments records the client and the key on the intent (or
refund) that first request made, so the retry resumes that one instead of making a second."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from billing_shared.errors import FieldError, Problem

HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class RequestKey:
    client_id: str  # the API client: the token's subject
    key: str | None  # its Idempotency-Key, when it sent one
    since: datetime  # a key older than the kit keeps keys names no request any more


def reused_with_another_request() -> Problem:
    return Problem(
        422,
        "This Idempotency-Key was used with a different request; use a new key.",
        errors=[FieldError(HEADER, "reused with a different request")],
    )
