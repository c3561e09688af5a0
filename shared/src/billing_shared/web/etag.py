"""ETags from a resource's version counter; `If-Match` honoured when sent, never required."""

from __future__ import annotations

from flask import request

from billing_shared.errors import Problem


def etag(version: int) -> str:
    return f'"{version}"'


def check_if_match(version: int) -> None:
    wanted = request.headers.get("If-Match")
    if wanted is None:
        return
    tags = {t.strip().removeprefix("W/") for t in wanted.split(",")}
    if "*" not in tags and etag(version) not in tags:
        raise Problem(
            412,
            f"The resource changed (current ETag {etag(version)}); GET it again and retry with that ETag.",
            headers={"ETag": etag(version)},
        )
