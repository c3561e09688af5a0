"""Hosted invoice links: `<public base URL>/api/v1/Invoices/hosted/<signed expiring token>`,
the HMAC key that signs them, and the settings both services that read them share.

HOSTED_INVOICE_SECRET when set (deployments: from a secret store). Otherwise a local run makes one
once and keeps it in `<VAR_DIR>/invoicing/hosted-invoice-secret` (mode 0600): links e-mailed
yesterday must still open after `make run` restarts, and a key made per process would break them.
Several web processes may start at once: each writes a whole temporary file and hard-links it into
place (atomic, fails when the name exists), so every process reads the one complete key.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings

from billing_shared.errors import Problem
from billing_shared.hosted.tokens import (
    MIN_SECRET_BYTES,
    ExpiredHostedToken,
    HostedTokenError,
    hosted_url_token,
    verify_hosted_token,
)

FILE_NAME = "hosted-invoice-secret"


def hosted_secret(configured: str, var_dir: str) -> str:
    """The configured key, else the one kept under `var_dir` (made by the first process to ask)."""
    if configured:
        if len(configured.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"HOSTED_INVOICE_SECRET must be at least {MIN_SECRET_BYTES} bytes")
        return configured
    path = Path(var_dir) / "invoicing" / FILE_NAME
    if path.exists():
        return _read(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".hosted-", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, path)  # publishes the whole file at once; fails if another process won
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    return _read(path)


def _read(path: Path) -> str:
    value = path.read_text().strip()
    if len(value.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"{path} holds no usable secret (>= {MIN_SECRET_BYTES} bytes); delete it")
    return value


class HostedLinkSettings(BaseSettings):
    """What a service that signs or reads hosted invoice links is configured with (a mixin of its
    settings class): the same values in invoicing and payments."""

    # Where clients reach the gateway: hosted URLs start with it. Empty: the local gateway,
    # http://127.0.0.1:<GATEWAY_PORT or 8080>.
    public_base_url: str = Field(
        default="", validation_alias=AliasChoices("PUBLIC_BASE_URL", "INVOICING_PUBLIC_BASE_URL")
    )
    gateway_port: int = Field(default=8080, validation_alias="GATEWAY_PORT")
    # HMAC key of hosted invoice links (>= 32 bytes). Empty: generated once and kept in
    # <VAR_DIR>/invoicing/hosted-invoice-secret, so links survive restarts of a local run.
    hosted_invoice_secret: str = Field(default="", validation_alias="HOSTED_INVOICE_SECRET")
    hosted_link_days: int = Field(default=30, ge=1, le=3650, validation_alias="HOSTED_LINK_DAYS")


@dataclass(frozen=True)
class HostedLinks:
    """Signs and reads hosted invoice links; built once per process (its service's bootstrap)."""

    base_url: str  # the gateway as clients reach it
    secret: str
    lifetime: timedelta

    @classmethod
    def of(cls, s: HostedLinkSettings, var_dir: str) -> HostedLinks:
        public_url = (s.public_base_url or f"http://127.0.0.1:{s.gateway_port}").rstrip("/")
        return cls(
            public_url, hosted_secret(s.hosted_invoice_secret, var_dir), timedelta(days=s.hosted_link_days)
        )

    def url(self, invoice_id: str, now: datetime) -> str:
        """A fresh link (new nonce) valid for `lifetime` from `now`."""
        return self.page_url(hosted_url_token(invoice_id, now + self.lifetime, self.secret))

    def page_url(self, token: str) -> str:
        """The hosted invoice page of a token already made."""
        return f"{self.base_url}/api/v1/Invoices/hosted/{token}"

    def checkout_url(self, token: str) -> str:
        """Where the page's Pay button leads: payments' checkout of the same invoice, same token."""
        return f"{self.base_url}/api/v1/PaymentIntents/hosted/{token}"

    def invoice_id(self, token: str, now: datetime) -> str:
        """The invoice the token grants; InvalidHostedToken / ExpiredHostedToken otherwise."""
        return verify_hosted_token(token, self.secret, now)

    def granted(self, token: str, now: datetime) -> str:
        """The invoice the token grants, as a page answers a link: 410 when it has expired, 404
        when it does not verify (the same answer as for an invoice that is not there)."""
        try:
            return self.invoice_id(token, now)
        except ExpiredHostedToken:
            raise Problem(410, "This invoice link has expired; ask the seller for a new one.") from None
        except HostedTokenError:
            raise Problem(404, "No invoice at this link.") from None
