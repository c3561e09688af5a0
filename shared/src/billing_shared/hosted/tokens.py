"""Signed, expiring, unguessable tokens for the hosted invoice page URL (no login needed).

token = base64url(payload) "." base64url(HMAC-SHA256(secret, "hosted-invoice.v1." + payload))
payload = "<invoice id>.<expires at, unix seconds>.<16 random bytes, base64url>"

The random nonce makes two tokens for the same invoice and expiry differ; the MAC makes them
unforgeable without the secret; the signature is checked (constant time) before the payload is read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from datetime import datetime

_CONTEXT = b"hosted-invoice.v1."
MIN_SECRET_BYTES = 32


class HostedTokenError(Exception):
    """The token is not valid for the hosted invoice page."""


class InvalidHostedToken(HostedTokenError):
    """Malformed, or not signed with this secret (tampered)."""


class ExpiredHostedToken(HostedTokenError):
    """Signed by us but past its expiry."""


def _b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(secret: str | bytes) -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    if len(key) < MIN_SECRET_BYTES:
        raise ValueError(f"the hosted invoice secret must be at least {MIN_SECRET_BYTES} bytes")
    return key


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, _CONTEXT + payload, hashlib.sha256).digest()


def _timestamp(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("give an aware datetime (UTC), not a naive one")
    return int(moment.timestamp())


def hosted_url_token(invoice_id: str, expires_at: datetime, secret: str | bytes) -> str:
    """A URL-safe token that grants reading `invoice_id`'s hosted page until `expires_at`."""
    if not invoice_id or "." in invoice_id:
        raise ValueError("invoice_id must be non-empty and contain no '.'")
    payload = f"{invoice_id}.{_timestamp(expires_at)}.{_b64e(secrets.token_bytes(16))}".encode()
    return f"{_b64e(payload)}.{_b64e(_mac(_key(secret), payload))}"


def verify_hosted_token(token: str, secret: str | bytes, now: datetime) -> str:
    """The invoice id the token grants, or InvalidHostedToken / ExpiredHostedToken."""
    key = _key(secret)
    try:
        payload_part, mac_part = token.split(".")
        payload = _b64d(payload_part)
        mac = _b64d(mac_part)
    except (ValueError, binascii.Error):
        raise InvalidHostedToken("malformed hosted invoice token") from None
    if not hmac.compare_digest(mac, _mac(key, payload)):
        raise InvalidHostedToken("hosted invoice token signature does not match")
    try:
        invoice_id, expires, _nonce = payload.decode("ascii").split(".")
        expires_at = int(expires)
    except (ValueError, UnicodeDecodeError):
        raise InvalidHostedToken("malformed hosted invoice token") from None
    if _timestamp(now) >= expires_at:
        raise ExpiredHostedToken("hosted invoice link has expired")
    return invoice_id
