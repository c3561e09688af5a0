"""The in-memory signing keys: which one signs, and the JWKS that publishes current, next and retired.

Publishing `next` before it signs anything means every verifier already knows it when a rotation
promotes it; retired keys stay published until the last token they signed has expired.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from billing_shared.auth.keys import SigningKey, sign
from billing_shared.auth.principal import ROLE_CUSTOMER
from billing_shared.auth.scopes import format_scopes
from gateway.store import STATE_CURRENT, STATE_NEXT, STATE_RETIRED, KeyRecord


class NoSigningKey(RuntimeError):
    pass


@dataclass(frozen=True)
class KeyRing:
    current: SigningKey
    jwks: dict[str, Any]
    jwks_body: bytes

    @classmethod
    def build(cls, records: list[KeyRecord], publish_retired_for: float) -> KeyRing:
        current = next((r.signing_key for r in records if r.state == STATE_CURRENT and r.signing_key), None)
        if current is None:
            raise NoSigningKey("No current signing key: run `gateway serve` or `gateway keys rotate`.")
        horizon = datetime.now(UTC) - timedelta(seconds=publish_retired_for)
        order = {STATE_CURRENT: 0, STATE_NEXT: 1, STATE_RETIRED: 2}
        published = sorted(
            (
                r
                for r in records
                if r.state in (STATE_CURRENT, STATE_NEXT)
                or (r.state == STATE_RETIRED and r.retired_at is not None and r.retired_at > horizon)
            ),
            key=lambda r: (order[r.state], -r.created_at.timestamp()),
        )
        jwks = {"keys": [r.public_jwk for r in published]}
        return cls(current=current, jwks=jwks, jwks_body=json.dumps(jwks).encode())


@dataclass(frozen=True)
class Issuer:
    """Mints the platform's access tokens (the claims contract between gateway and services)."""

    issuer: str
    audience: str
    ttl: int

    def mint(
        self,
        key: SigningKey,
        *,
        subject: str,
        client_id: str,
        scopes: frozenset[str],
        role: str,
        customer_id: str | None = None,
    ) -> tuple[str, str]:
        """Returns the token and its canonical scope string."""
        now = int(time.time())
        scope = format_scopes(scopes)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "client_id": client_id,
            "scope": scope,
            "role": role,
            "iat": now,
            "nbf": now,
            "exp": now + self.ttl,
            "jti": uuid.uuid4().hex,
        }
        if role == ROLE_CUSTOMER:
            claims["customer_id"] = customer_id
        return sign(claims, key, headers={"typ": "at+jwt"}), scope
