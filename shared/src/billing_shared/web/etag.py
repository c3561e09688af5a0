"""ETags from a resource's version counter; `If-Match` honoured when sent, never required."""

from __future__ import annotations

from flask import request

from billing_shared.concurrency import IfMatch, etag

__all__ = ["check_if_match", "etag"]


def check_if_match(version: int) -> None:
    """This request's `If-Match` against a version read outside a use case (412 when stale)."""
    wanted = IfMatch.parse(request.headers.get("If-Match"))
    if wanted is not None:
        wanted.check(version)
