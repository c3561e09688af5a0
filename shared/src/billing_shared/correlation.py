"""The correlation id (`X-Request-Id`) that follows a request into its log lines and events."""

from __future__ import annotations

import contextvars
import re
import uuid

HEADER = "X-Request-Id"
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_SAFE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def new_id() -> str:
    return uuid.uuid4().hex


def accept(incoming: str | None) -> str:
    """Use the caller's id when it is a sane token (no header injection), else mint one."""
    if incoming and _SAFE.match(incoming):
        return incoming
    return new_id()


def set_current(request_id: str | None) -> contextvars.Token[str | None]:
    return _current.set(request_id)


def reset(token: contextvars.Token[str | None]) -> None:
    _current.reset(token)


def current() -> str | None:
    return _current.get()
