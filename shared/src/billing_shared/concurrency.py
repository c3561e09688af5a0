"""Two writers of one row: versions, ETags and the one error a lost race raises.

Every versioned row is saved on the condition that its version is still the one read
(`billing_shared.db.repository.save_versioned`). When another writer got there first the save raises
`ConcurrentChange`: the web kit answers it 409 (the client retries), the inbox retries the event a
few times before it dead-letters it. `If-Match` is honoured when sent, never required.
"""

from __future__ import annotations

from dataclasses import dataclass

from billing_shared.errors import Problem


class ConcurrentChange(Exception):
    """Another writer saved a newer version of the row between our read and our write."""

    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"{kind} {ident} changed concurrently")
        self.kind = kind
        self.ident = ident


def etag(version: int) -> str:
    return f'"{version}"'


@dataclass(frozen=True)
class IfMatch:
    """The ETags a client sent in `If-Match` (`*` matches any version)."""

    tags: frozenset[str]

    @classmethod
    def parse(cls, header: str | None) -> IfMatch | None:
        if header is None:
            return None
        return cls(frozenset(t.strip().removeprefix("W/") for t in header.split(",")))

    def check(self, version: int) -> None:
        """412 naming the current ETag when the resource moved past what the client read."""
        if "*" not in self.tags and etag(version) not in self.tags:
            raise Problem(
                412,
                f"The resource changed (current ETag {etag(version)}); "
                "GET it again and retry with that ETag.",
                headers={"ETag": etag(version)},
            )


def check_if_match(if_match: IfMatch | None, version: int) -> None:
    if if_match is not None:
        if_match.check(version)
