"""Bearer-token verification, the same code in the gateway and in every service.

Services verify again what the gateway already checked (no trust by network position), so
this sits on every request path: a verified token is remembered until it expires and a
repeat is one dict lookup. Everything a caller can get wrong is a 401 (or 403 for a missing
scope) with an RFC 6750 `WWW-Authenticate` header; an unreachable key server is our fault
and answers 503, so a client never throws away a good token because of our outage.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import jwt
from jwt import PyJWK, PyJWKClient
from jwt.exceptions import (
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidSignatureError,
    InvalidTokenError,
    MissingRequiredClaimError,
    PyJWKClientConnectionError,
    PyJWKClientError,
    PyJWTError,
)

from billing_shared.auth import scopes as scope_names
from billing_shared.auth.principal import ROLE_CLIENT, ROLE_CUSTOMER, Principal
from billing_shared.errors import Problem

if TYPE_CHECKING:
    from billing_shared.settings import CommonSettings

# Asymmetric only: a symmetric algorithm would let anyone holding the public key mint tokens.
ALLOWED_ALGORITHMS = frozenset({"ES256", "ES384", "RS256", "RS384", "RS512", "PS256"})
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub", "jti")
# An outside OIDC provider need not put `jti` in its access tokens; we require the rest.
OIDC_REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub")


# PyJWT's refusals and what a client is told of each, in the order they are checked (subclasses first).
_REFUSALS: tuple[tuple[type[InvalidTokenError], str], ...] = (
    (ExpiredSignatureError, "The token has expired; request a new one."),
    (ImmatureSignatureError, "The token is not valid yet (nbf is in the future)."),
    (InvalidIssuedAtError, "The token's issue time (iat) is invalid or in the future."),
    (InvalidIssuerError, "The token was not issued by a trusted issuer (iss)."),
    (InvalidSignatureError, "The token's signature does not verify."),
    (InvalidAlgorithmError, "The token's algorithm is not accepted."),
    (DecodeError, "The token is malformed."),
)


def _quote(text: str) -> str:
    """Make `text` safe inside an RFC 7235 quoted-string (and free of header injection)."""
    return "".join(c for c in text if c >= " " and c not in '"\\\x7f')


def invalid_token(detail: str) -> Problem:
    return Problem(
        401,
        detail,
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{_quote(detail)}"'},
    )


MISSING_TOKEN = "This call needs a bearer token: send 'Authorization: Bearer <token>'."


def missing_token(detail: str = MISSING_TOKEN) -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": "Bearer"})


def insufficient_scope(scope: str, held: frozenset[str] | None = None) -> Problem:
    held_text = scope_names.format_scopes(held) if held else "none"
    return Problem(
        403,
        f"This call needs the '{scope}' scope; the token has: {held_text}.",
        headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{_quote(scope)}"'},
    )


def require_scope(principal: Principal, scope: str) -> None:
    if scope not in principal.scopes:
        raise insufficient_scope(scope, principal.scopes)


class _StaticKeys:
    """A JWKS handed over in memory: tests, and the gateway checking its own tokens."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self.replace(jwks)

    def replace(self, jwks: dict[str, Any]) -> None:
        keys: dict[str, PyJWK] = {}
        for data in jwks.get("keys", []):
            try:
                key = PyJWK(data)
            except PyJWTError:  # unusable (e.g. an EC key that claims RS256): skip, as PyJWKSet does
                continue
            if key.key_id and key.public_key_use in ("sig", None):
                keys[key.key_id] = key
        self._keys = keys

    def get(self, kid: str) -> PyJWK | None:
        return self._keys.get(kid)


class _RemoteKeys:
    """A JWKS URL. PyJWKClient caches the set and refetches on an unknown `kid` (so a rotated key
    is picked up without a restart), at most once per `cooldown` seconds so a stream of made-up
    kids cannot hammer the key server."""

    def __init__(self, url: str, cooldown: float, lifespan: float) -> None:
        self._client = PyJWKClient(
            url, cache_jwk_set=True, lifespan=lifespan, timeout=5, cooldown_duration=cooldown
        )

    def get(self, kid: str) -> PyJWK | None:
        try:
            return self._client.get_signing_key(kid)
        except PyJWKClientConnectionError as exc:
            raise Problem(503, "The signing keys cannot be fetched right now; retry shortly.") from exc
        except (PyJWKClientError, PyJWTError):
            return None


class TokenVerifier:
    def __init__(
        self,
        *,
        jwks_url: str = "",
        jwks: dict[str, Any] | None = None,
        issuer: str,
        audience: str,
        oidc_issuer: str = "",
        oidc_jwks_url: str = "",
        leeway: int = 30,
        algorithms: tuple[str, ...] | list[str] = ("ES256", "RS256"),
        cache_size: int = 10_000,
        refetch_cooldown: float = 5.0,
        jwks_lifespan: float = 300.0,
    ) -> None:
        bad = [a for a in algorithms if a not in ALLOWED_ALGORITHMS]
        if bad:
            raise ValueError(
                f"Refusing to accept tokens signed with {bad}: only asymmetric algorithms are safe."
            )
        if jwks is None and not jwks_url:
            raise ValueError("TokenVerifier needs either jwks (a dict) or jwks_url.")
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.algorithms = frozenset(algorithms)
        self._cache_size = cache_size
        self._cache: OrderedDict[str, Principal] = OrderedDict()
        self._lock = threading.Lock()
        self._static: _StaticKeys | None = _StaticKeys(jwks) if jwks is not None else None
        self._sources: dict[str, _StaticKeys | _RemoteKeys] = {
            issuer: self._static
            if self._static is not None
            else _RemoteKeys(jwks_url, refetch_cooldown, jwks_lifespan)
        }
        self.oidc_issuer = oidc_issuer
        if oidc_issuer:
            if not oidc_jwks_url:
                raise ValueError("OIDC_ISSUER needs OIDC_JWKS_URL.")
            if oidc_issuer == issuer:
                raise ValueError("OIDC_ISSUER must differ from JWT_ISSUER.")
            self._sources[oidc_issuer] = _RemoteKeys(oidc_jwks_url, refetch_cooldown, jwks_lifespan)

    @classmethod
    def from_settings(cls, s: CommonSettings) -> TokenVerifier:
        return cls(
            jwks_url=s.jwks_url,
            issuer=s.jwt_issuer,
            audience=s.jwt_audience,
            oidc_issuer=s.oidc_issuer,
            oidc_jwks_url=s.oidc_jwks_url,
        )

    @property
    def needs_network(self) -> bool:
        """True when a cache miss may fetch keys over HTTP (an async caller should off-load it)."""
        return any(isinstance(src, _RemoteKeys) for src in self._sources.values())

    def set_jwks(self, jwks: dict[str, Any]) -> None:
        """Swap the in-memory key set (the gateway, after it loads or rotates its keys)."""
        if self._static is None:
            raise ValueError("This verifier fetches its keys from a URL.")
        self._static.replace(jwks)

    def cached(self, token: str) -> Principal | None:
        """The hot path: a token verified before and not yet expired."""
        principal = self._cache.get(token)
        if principal is not None and principal.expires_at > time.time():
            return principal
        return None

    def authenticate(self, authorization: str | None) -> Principal:
        """Verify the value of an `Authorization` header; no header or another scheme is a 401."""
        if not authorization:
            raise missing_token()
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise missing_token("Authorization must be 'Bearer <token>'.")
        return self.verify(token)

    def verify(self, token: str) -> Principal:
        principal = self._cache.get(token)
        if principal is not None and principal.expires_at > time.time():
            with contextlib.suppress(KeyError):  # evicted by another thread meanwhile
                self._cache.move_to_end(token)
            return principal
        principal = self._verify(token)
        with self._lock:
            self._cache[token] = principal
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return principal

    def _verify(self, token: str) -> Principal:
        try:
            unverified = jwt.api_jwt.decode_complete(token, options={"verify_signature": False})
        except PyJWTError as exc:
            raise invalid_token("The token is malformed (not a signed JWT).") from exc
        header: dict[str, Any] = unverified["header"]
        claims: dict[str, Any] = unverified["payload"]
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            allowed = ", ".join(sorted(self.algorithms))
            raise invalid_token(f"The token's algorithm '{alg}' is not accepted; use one of: {allowed}.")
        iss = claims.get("iss")
        source = self._sources.get(iss) if isinstance(iss, str) else None
        if source is None:
            raise invalid_token("The token was not issued by a trusted issuer (iss).")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise invalid_token("The token header has no key id (kid).")
        key = source.get(kid)
        if key is None:
            raise invalid_token(f"The token was signed with an unknown key (kid '{kid}').")
        if key.algorithm_name != alg:
            raise invalid_token(
                f"The token's algorithm '{alg}' does not match its key's '{key.algorithm_name}'."
            )
        required = REQUIRED_CLAIMS if iss == self.issuer else OIDC_REQUIRED_CLAIMS
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=self.audience,
                issuer=iss,
                leeway=self.leeway,
                options={"require": list(required)},
            )
        except InvalidTokenError as exc:
            raise invalid_token(self._refusal(exc)) from exc
        return self._principal(claims, own=iss == self.issuer)

    def _refusal(self, exc: InvalidTokenError) -> str:
        """Why PyJWT refused the token, as the client is told (the most specific reason first)."""
        if isinstance(exc, InvalidAudienceError):
            return f"The token is not meant for this API (aud must be '{self.audience}')."
        if isinstance(exc, MissingRequiredClaimError):
            return f"The token lacks the required claim '{exc.claim}'."
        for kind, reason in _REFUSALS:
            if isinstance(exc, kind):
                return reason
        return f"The token is invalid: {exc}."

    @staticmethod
    def _principal(claims: dict[str, Any], *, own: bool) -> Principal:
        sub = claims["sub"]
        if not isinstance(sub, str) or not sub:
            raise invalid_token("The token's subject (sub) must be a non-empty string.")
        raw_scope = claims.get("scope", claims.get("scp", ""))
        if isinstance(raw_scope, str):
            token_scopes = scope_names.parse(raw_scope)
        elif isinstance(raw_scope, list) and all(isinstance(s, str) for s in raw_scope):
            token_scopes = frozenset(raw_scope)
        else:
            raise invalid_token("The token's scope must be a space-separated string.")
        role = claims.get("role", ROLE_CLIENT)
        if role not in (ROLE_CLIENT, ROLE_CUSTOMER):
            raise invalid_token("The token's role must be 'client' or 'customer'.")
        customer_id = claims.get("customer_id")
        if role == ROLE_CUSTOMER and (not isinstance(customer_id, str) or not customer_id):
            raise invalid_token("A customer token must name its customer (customer_id).")
        if role == ROLE_CLIENT:
            customer_id = None
        client_id = claims.get("client_id") or claims.get("azp") or sub
        jti = claims.get("jti")
        if not isinstance(client_id, str) or (own and not isinstance(jti, str)):
            raise invalid_token("The token's client_id and jti must be strings.")
        exp = claims["exp"]
        if not isinstance(exp, int | float):
            raise invalid_token("The token's exp must be a number.")
        return Principal(
            subject=sub,
            client_id=client_id,
            scopes=token_scopes,
            role=role,
            customer_id=customer_id,
            token_id=jti if isinstance(jti, str) else f"{claims['iss']}#{sub}#{claims['iat']}",
            expires_at=int(exp),
        )
