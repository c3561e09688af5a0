"""The one error type of the platform: RFC 9457 problem details.

Raise `Problem` anywhere on a request path; the web layer renders it as
`application/problem+json`. Field-level validation errors go in `errors`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, TypeVar

T = TypeVar("T")

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://billing.dev/problems/"


@dataclass
class FieldError:
    """One invalid input: `field` is a dotted path with list indexes (`billingAddress.country`,
    `items[3].quantity`)."""

    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


@dataclass
class Problem(Exception):
    status: int
    detail: str
    title: str | None = None
    type: str | None = None
    errors: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.detail)
        if self.title is None:
            self.title = HTTPStatus(self.status).phrase
        if self.type is None:
            self.type = PROBLEM_TYPE_BASE + self.title.lower().replace(" ", "-")

    def to_dict(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = [e.to_dict() for e in self.errors]
        body.update(self.extra)
        return body


def not_found(kind: str, ident: str) -> Problem:
    return Problem(404, f"No {kind} with id '{ident}'.")


def existing(found: T | None, kind: str, ident: str) -> T:
    """What a look-up found, or the 404 naming what was asked for."""
    if found is None:
        raise not_found(kind, ident)
    return found


def invalid_fields(errors: list[FieldError]) -> Problem:
    """A 422 naming every field to fix, for what only the service can check (an unknown id, a
    disabled currency): the same answer a schema's validation gives."""
    names = ", ".join(dict.fromkeys(e.field for e in errors))
    return Problem(422, f"The request has invalid fields: {names}.", errors=errors)


def invalid_field(field: str, message: str) -> Problem:
    return invalid_fields([FieldError(field, message)])


def flatten_marshmallow(messages: Any, prefix: str = "") -> list[FieldError]:
    """Turn marshmallow's nested `{"field": ["msg"]}` into a flat list of FieldError."""
    out: list[FieldError] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":
                path = prefix or "(body)"
            elif isinstance(key, int):  # a list index: items[3].quantity, as a client writes it
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten_marshmallow(value, path))
    elif isinstance(messages, list):
        if all(isinstance(m, str) for m in messages):
            out.extend(FieldError(prefix or "(body)", m) for m in messages)
        else:
            for m in messages:
                out.extend(flatten_marshmallow(m, prefix))
    else:
        out.append(FieldError(prefix or "(body)", str(messages)))
    return out
