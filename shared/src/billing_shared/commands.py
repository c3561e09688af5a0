"""The command every service has: act on one resource that the caller names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

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
