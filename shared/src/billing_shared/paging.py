"""The one pagination of every list: up to `limit` items in id order after `startingAfter`, and
whether more follow. Repositories answer a `Page` (see `billing_shared.db.repository.keyset_page`);
the web kit turns it into `{"data": [...], "hasMore": bool}`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class PageRequest:
    limit: int = 20
    starting_after: str | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    has_more: bool

    def map(self, shape: Callable[[T], U]) -> Page[U]:
        return Page([shape(item) for item in self.items], self.has_more)

    @classmethod
    def empty(cls) -> Page[T]:
        return cls([], False)
