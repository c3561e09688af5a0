"""Signing keys: generate them, name them (`kid`), sign claims, publish the public halves as a JWKS.

The gateway issues tokens with these; tests use them to forge good and bad tokens. Keys are
asymmetric only (ES256 on P-256 by default, RS256 allowed) so services can verify with the
public half and never hold a secret that could mint tokens.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

SUPPORTED_ALGORITHMS = ("ES256", "RS256")

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


@dataclass(frozen=True)
class SigningKey:
    """A private key with its `kid` and algorithm; `public_jwk()` is what verifiers see."""

    kid: str
    alg: str
    private_key: PrivateKey

    @property
    def public_key(self) -> PublicKey:
        return self.private_key.public_key()

    def private_pem(self) -> str:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")

    def public_pem(self) -> str:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    def public_jwk(self) -> dict[str, Any]:
        return public_jwk(self.public_key, self.alg, self.kid)


def _check_alg(alg: str) -> None:
    if alg not in SUPPORTED_ALGORITHMS:
        raise ValueError(f"Unsupported signing algorithm {alg!r}; use one of {SUPPORTED_ALGORITHMS}.")


def _bare_jwk(public_key: PublicKey) -> dict[str, Any]:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return dict(ECAlgorithm.to_jwk(public_key, as_dict=True))
    return dict(RSAAlgorithm.to_jwk(public_key, as_dict=True))


def thumbprint(public_key: PublicKey) -> str:
    """RFC 7638 JWK thumbprint: a `kid` that is derived from the key, so it can never be reused."""
    jwk = _bare_jwk(public_key)
    members = ("crv", "kty", "x", "y") if jwk["kty"] == "EC" else ("e", "kty", "n")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def generate_key(alg: str = "ES256") -> SigningKey:
    _check_alg(alg)
    private: PrivateKey
    if alg == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return SigningKey(kid=thumbprint(private.public_key()), alg=alg, private_key=private)


def load_key(private_pem: str, alg: str, kid: str | None = None) -> SigningKey:
    """Rebuild a stored key; the algorithm must fit the key type so a row can't lie about it."""
    _check_alg(alg)
    private = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    if alg == "ES256":
        if not isinstance(private, ec.EllipticCurvePrivateKey) or private.curve.name != "secp256r1":
            raise ValueError("ES256 needs a P-256 EC key.")
    elif not isinstance(private, rsa.RSAPrivateKey):
        raise ValueError("RS256 needs an RSA key.")
    return SigningKey(kid=kid or thumbprint(private.public_key()), alg=alg, private_key=private)


def public_jwk(public_key: PublicKey, alg: str, kid: str) -> dict[str, Any]:
    jwk = _bare_jwk(public_key)
    jwk.update({"kid": kid, "alg": alg, "use": "sig"})
    return jwk


def sign(claims: dict[str, Any], key: SigningKey, headers: dict[str, Any] | None = None) -> str:
    """A compact JWS of `claims`, its header naming the key (`kid`) and the algorithm."""
    return jwt.encode(claims, key.private_key, algorithm=key.alg, headers={"kid": key.kid, **(headers or {})})


def build_jwks(keys: list[SigningKey] | list[dict[str, Any]]) -> dict[str, Any]:
    """`{"keys": [...]}` from signing keys or ready public JWKs (never a private member)."""
    out: list[dict[str, Any]] = []
    for k in keys:
        if isinstance(k, SigningKey):
            out.append(k.public_jwk())
        else:
            out.append({m: v for m, v in k.items() if m not in {"d", "p", "q", "dp", "dq", "qi"}})
    return {"keys": out}
