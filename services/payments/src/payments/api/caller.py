"""What the payments API reads of its caller besides the kit's `CustomerScope`: the request's
Idempotency-Key (which an intent or refund records, so a retry resumes it), and the admin scope."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import request

from billing_shared.auth.flask import current_principal
from billing_shared.auth.scopes import ADMIN
from billing_shared.errors import Problem
from billing_shared.web.transaction import HEADER, TTL
from payments.domain.request_keys import RequestKey


def request_key() -> RequestKey:
    """This request's client and Idempotency-Key, with the oldest a request under that key may be
    (the kit keeps a key `TTL`)."""
    return RequestKey(current_principal().subject, request.headers.get(HEADER), datetime.now(UTC) - TTL)


def require_admin() -> None:
    """Gateway switches and reconciliation are the platform operator's: the admin scope."""
    if not current_principal().has(ADMIN):
        raise Problem(403, "This needs the admin scope.")
