"""The command every service has (act on one resource that the caller names), and how a create
command becomes the new resource."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, TypeVar

from billing_shared.auth.scope import CustomerScope, Owned
from billing_shared.concurrency import IfMatch, check_if_match

T = TypeVar("T", bound=Owned)


@dataclass(frozen=True)
class OnResource:
    """Cancel this order, void that invoice, capture this payment: who asks (`scope`: another
    customer's resource is a 404 to them), which resource (`id`), and the version they read
    (`if_match`, when they sent one)."""

    scope: CustomerScope
    id: str
    if_match: IfMatch | None = None

    def visible(self, found: T | None, kind: str) -> T:
        return self.scope.visible(found, kind, self.id)

    def check_version(self, version: int) -> None:
        check_if_match(self.if_match, version)


def given(cmd: Any, *, but: tuple[str, ...] = ("scope",)) -> dict[str, Any]:
    """A create command's fields (all `but` who asked), as keyword arguments of the resource it
    creates: what the client gave is the resource's, field for field, so a domain `create` names
    only what it adds (id, times, state) or normalises. Shallow: values are not copied."""
    return {f.name: getattr(cmd, f.name) for f in dataclasses.fields(cmd) if f.name not in but}
