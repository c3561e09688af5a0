"""Mint tokens exactly as the gateway does, against a key only the test knows."""

from __future__ import annotations

import time
import uuid
from typing import Any

from billing_shared.auth import scopes
from billing_shared.auth.keys import build_jwks, generate_key, sign
from billing_shared.auth.scopes import format_scopes
from billing_shared.auth.verifier import TokenVerifier

ISSUER = "http://127.0.0.1:8080"
AUDIENCE = "billing-api"
ALL_SCOPES = format_scopes(frozenset(scopes.ALL_SCOPES))


class TokenFactory:
    def __init__(self, issuer: str = ISSUER, audience: str = AUDIENCE) -> None:
        self.key = generate_key("ES256")
        self.issuer = issuer
        self.audience = audience

    def jwks(self) -> dict[str, Any]:
        return build_jwks([self.key])

    def verifier(self) -> TokenVerifier:
        return TokenVerifier(jwks=self.jwks(), issuer=self.issuer, audience=self.audience)

    def token(
        self,
        scopes: str = ALL_SCOPES,
        *,
        client_id: str = "cli_test",
        customer_id: str | None = None,
        ttl: int = 600,
        **overrides: Any,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": client_id,
            "client_id": client_id,
            "scope": scopes,
            "role": "client",
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
        }
        if customer_id:
            claims |= {"sub": f"customer:{customer_id}", "role": "customer", "customer_id": customer_id}
        claims.update(overrides)
        return sign(claims, self.key)
