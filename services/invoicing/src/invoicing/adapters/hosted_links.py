"""Hosted invoice links: `<public base URL>/api/v1/Invoices/hosted/<signed expiring token>`,
and the HMAC key that signs them.

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

from invoicing.adapters.hosted_tokens import MIN_SECRET_BYTES, hosted_url_token, verify_hosted_token

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


@dataclass(frozen=True)
class HostedLinks:
    """Signs and reads hosted invoice links; built once per process (`invoicing.bootstrap`)."""

    base_url: str  # the gateway as clients reach it
    secret: str
    lifetime: timedelta

    def url(self, invoice_id: str, now: datetime) -> str:
        """A fresh link (new nonce) valid for `lifetime` from `now`."""
        token = hosted_url_token(invoice_id, now + self.lifetime, self.secret)
        return f"{self.base_url}/api/v1/Invoices/hosted/{token}"

    def invoice_id(self, token: str, now: datetime) -> str:
        """The invoice the token grants; InvalidHostedToken / ExpiredHostedToken otherwise."""
        return verify_hosted_token(token, self.secret, now)
