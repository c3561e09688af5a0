"""Write endpoints: one unit of work per request, committed with the idempotency record.

Decorate a write view with `@transactional` (outermost, above flask-smorest's decorators) and
use `current_uow()` inside it. With an `Idempotency-Key` header on a POST:
- the key is claimed first (its own small transaction), so a concurrent request with the same
  key sees it in flight and gets 409;
- the view's changes, its outbox events AND the stored response commit in one transaction, so
  a crash can never leave a change without its recorded response (or the reverse);
- the same key and the same request replays the stored response with `Idempotent-Replayed: true`;
  the same key with another request is 422.
Keys are scoped to the calling API client and kept 24 hours.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Response, g, make_response, request
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from billing_shared.db.timestamps import aware
from billing_shared.db.uow import Database, UnitOfWork, affected
from billing_shared.errors import FieldError, Problem
from billing_shared.web.context import current_db, deps

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
TTL = timedelta(hours=24)
_KEPT_HEADERS = ("Content-Type", "Location", "ETag")

F = TypeVar("F", bound=Callable[..., Any])


def current_uow() -> UnitOfWork:
    return cast(UnitOfWork, g.uow)


def _stale_claim() -> timedelta:
    """A claim older than this belongs to a request whose process died: its transaction never
    committed (the record commits with the change), so the key may be taken over safely. It must
    outlast the slowest request; fault runs shorten it (IDEMPOTENCY_STALE_CLAIM_SECONDS) so a client
    retrying a request whose API was SIGKILLed waits seconds, not a minute, for 409s to end."""
    return timedelta(seconds=deps().settings.idempotency_stale_claim_seconds)


def _request_hash() -> str:
    raw = request.get_data(cache=True)
    try:
        # Numbers keep their exact text: two rates that one float would blur are two requests.
        parsed = json.loads(raw, parse_float=lambda t: {"$number": t}, parse_int=lambda t: {"$number": t})
        canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = raw
    return hashlib.sha256(
        request.method.encode() + b" " + request.full_path.encode() + b"\n" + canonical
    ).hexdigest()


def _commit(uow: UnitOfWork, resp: Response) -> None:
    uow.commit()
    log.info(
        "change committed",
        extra={"status": resp.status_code, "events": [f"{e.type} {e.id}" for e in uow.events]},
    )


def _client_id() -> str:
    principal = g.get("principal")
    return principal.subject if principal is not None else "anonymous"


def transactional(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is not None and request.method == "POST":
            return _idempotent(key, lambda: view(*args, **kwargs))
        with current_db().unit_of_work() as uow:
            g.uow = uow
            resp = make_response(view(*args, **kwargs))
            if resp.status_code < 400:
                _commit(uow, resp)
            return resp

    return cast(F, wrapper)


def _idempotent(key: str, call: Callable[[], Any]) -> Response:
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise Problem(
            400,
            "Idempotency-Key must be 1 to 255 printable characters.",
            errors=[FieldError(HEADER, "invalid")],
        )
    db = current_db()
    table = db.kit_tables.idempotency
    client, digest, token = _client_id(), _request_hash(), secrets.token_hex(8)
    replay = _claim(db, client, key, digest, token)
    if replay is not None:
        return replay
    try:
        with db.unit_of_work() as uow:
            g.uow = uow
            resp = make_response(call())
            if resp.status_code >= 400:
                raise _Release(resp)
            headers = {h: resp.headers[h] for h in _KEPT_HEADERS if h in resp.headers}
            done = uow.session.execute(
                update(table)
                .where(table.c.client_id == client, table.c.key == key, table.c.lock_token == token)
                .values(
                    state="done",
                    response_status=resp.status_code,
                    response_headers=headers,
                    response_body=resp.get_data(as_text=True),
                )
            )
            if affected(done) != 1:  # our stale claim was taken over: the other request owns the key
                raise Problem(409, "A request with this Idempotency-Key took over; retry to get its result.")
            _commit(uow, resp)
            return resp
    except _Release as rel:
        _release(db, client, key, token)
        return rel.response
    except BaseException:
        _release(db, client, key, token)
        raise


class _Release(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _release(db: Database, client: str, key: str, token: str) -> None:
    """Failed requests free their key, so the client can correct the request and retry with it."""
    table = db.kit_tables.idempotency
    with db.unit_of_work() as uow:
        uow.session.execute(
            delete(table).where(table.c.client_id == client, table.c.key == key, table.c.lock_token == token)
        )
        uow.commit()


def _claim(db: Database, client: str, key: str, digest: str, token: str) -> Response | None:
    """Claim the key (None), or answer from an earlier request with the same key."""
    table = db.kit_tables.idempotency
    now = datetime.now(UTC)
    for _ in range(3):
        with db.unit_of_work() as uow:
            try:
                uow.session.execute(
                    insert(table).values(
                        client_id=client,
                        key=key,
                        method=request.method,
                        path=request.full_path,
                        request_hash=digest,
                        state="in_flight",
                        lock_token=token,
                        locked_at=now,
                        created_at=now,
                        expires_at=now + TTL,
                    )
                )
                uow.commit()
                return None
            except IntegrityError:
                uow.rollback()
            row = uow.session.execute(
                select(table).where(table.c.client_id == client, table.c.key == key)
            ).first()
            if row is None:
                continue  # released meanwhile: claim again
            if aware(row.expires_at) <= now:
                uow.session.execute(
                    delete(table).where(
                        table.c.client_id == client, table.c.key == key, table.c.lock_token == row.lock_token
                    )
                )
                uow.commit()
                continue
            if row.request_hash != digest:
                raise Problem(
                    422,
                    "This Idempotency-Key was used with a different request; use a new key.",
                    errors=[FieldError(HEADER, "reused with a different request")],
                )
            if row.state == "done":
                resp = Response(
                    row.response_body, status=row.response_status, headers=row.response_headers or {}
                )
                resp.headers[REPLAYED] = "true"
                return resp
            if now - aware(row.locked_at) > _stale_claim():
                took = uow.session.execute(
                    update(table)
                    .where(
                        table.c.client_id == client, table.c.key == key, table.c.lock_token == row.lock_token
                    )
                    .values(lock_token=token, locked_at=now)
                )
                uow.commit()
                if affected(took) == 1:
                    return None
            raise Problem(
                409,
                "A request with this Idempotency-Key is still in progress; retry shortly.",
                headers={"Retry-After": "1"},
            )
    raise Problem(409, "This Idempotency-Key is contended; retry shortly.", headers={"Retry-After": "1"})


def purge_expired(db: Database) -> int:
    table = db.kit_tables.idempotency
    with db.unit_of_work() as uow:
        n = affected(uow.session.execute(delete(table).where(table.c.expires_at < datetime.now(UTC))))
        uow.commit()
        return n
