"""Sending: over SMTP when SMTP_URL is set, else into a local sink directory of `.eml` files.

SMTP_URL: `smtp://user:pass@host:587?starttls=true` (or SMTP_STARTTLS=true), `smtps://host:465`
(TLS from the first byte). Unset: `<VAR_DIR>/mail/<time>-<message id>.eml`, written atomically.
The values come from the service's settings (`invoicing.bootstrap.mail_settings`).
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class MailError(Exception):
    """Mail could not be configured or sent."""


class MailConfigError(MailError):
    """SMTP_URL (or another mail setting) is not usable."""


class MailDeliveryError(MailError):
    """The message did not reach the server or the sink."""


@dataclass(frozen=True)
class SentMail:
    message_id: str
    to: tuple[str, ...]
    sent_at: datetime
    path_or_server: str  # the .eml file written, or smtp(s)://host:port (never the password)


class Mailer(Protocol):
    def send(self, msg: EmailMessage) -> SentMail: ...


_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class MailSettings:
    smtp_url: str | None = None
    var_dir: Path = Path("var")
    starttls: bool = False
    timeout: float = 30.0
    sender: str = "Billing <billing@localhost>"


def _recipients(msg: EmailMessage) -> tuple[str, ...]:
    fields = [str(v) for name in ("To", "Cc", "Bcc") for v in msg.get_all(name, [])]
    return tuple(addr for _, addr in getaddresses(fields) if addr)


def _message_id(msg: EmailMessage) -> str:
    mid = msg.get("Message-ID")
    if not mid:
        raise MailError("the message has no Message-ID")
    return str(mid).strip()


@dataclass
class SmtpMailer:
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    use_ssl: bool = False  # smtps: TLS from the first byte
    starttls: bool = False  # smtp + STARTTLS upgrade (required: no plain fallback)
    timeout: float = 30.0
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False)
    clock: Clock = _utcnow

    @classmethod
    def from_url(cls, url: str, *, starttls: bool = False, timeout: float = 30.0) -> SmtpMailer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise MailConfigError(
                f"SMTP_URL must start with smtp:// or smtps://, not {parts.scheme or '?'}://"
            )
        if not parts.hostname:
            raise MailConfigError("SMTP_URL has no host (smtp://user:pass@host:port)")
        use_ssl = parts.scheme == "smtps"
        query = parse_qs(parts.query)
        if "starttls" in query:
            starttls = query["starttls"][-1].strip().lower() in _TRUE
        if use_ssl and starttls:
            raise MailConfigError("smtps:// is TLS already; STARTTLS is for smtp://")
        try:
            port = parts.port or (465 if use_ssl else 587 if starttls else 25)
        except ValueError:
            raise MailConfigError("SMTP_URL has an invalid port") from None
        return cls(
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            use_ssl=use_ssl,
            starttls=starttls,
            timeout=timeout,
        )

    @property
    def server(self) -> str:
        return f"{'smtps' if self.use_ssl else 'smtp'}://{self.host}:{self.port}"

    def send(self, msg: EmailMessage) -> SentMail:
        message_id = _message_id(msg)
        to = _recipients(msg)
        if not to:
            raise MailError("the message has no recipient")
        context = self.ssl_context or ssl.create_default_context()
        try:
            smtp: smtplib.SMTP
            if self.use_ssl:
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.starttls:
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if self.username is not None:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(msg)
        except smtplib.SMTPAuthenticationError as exc:
            raise MailDeliveryError(f"SMTP server {self.server} refused the login: {exc.smtp_code}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailDeliveryError(
                f"SMTP server {self.server} refused every recipient: {', '.join(exc.recipients)}"
            ) from exc
        except smtplib.SMTPException as exc:
            raise MailDeliveryError(f"SMTP server {self.server} did not accept the message: {exc}") from exc
        except ConnectionRefusedError as exc:
            raise MailDeliveryError(
                f"could not connect to SMTP server {self.server}: connection refused"
            ) from exc
        except OSError as exc:  # DNS, timeouts, TLS
            raise MailDeliveryError(f"could not reach SMTP server {self.server}: {exc}") from exc
        if refused:
            raise MailDeliveryError(
                f"SMTP server {self.server} refused some recipients: {', '.join(refused)}"
            )
        return SentMail(message_id, to, self.clock(), self.server)


@dataclass
class FileSinkMailer:
    """The local sink: one `.eml` file per Message-ID, written to a temp file and renamed into
    place, so a reader never sees half a message and a message sent again is filed once."""

    directory: Path
    clock: Clock = _utcnow

    def send(self, msg: EmailMessage) -> SentMail:
        message_id = _message_id(msg)
        to = _recipients(msg)
        sent_at = self.clock()
        safe_id = re.sub(r"[^A-Za-z0-9.@_-]+", "_", message_id.strip("<>"))[:150]
        filed = sorted(self.directory.glob(f"*-{safe_id}.eml"))
        if filed:  # this Message-ID is filed already: a try again after a crash, not a new mail
            return SentMail(message_id, to, sent_at, str(filed[0]))
        name = f"{sent_at.strftime('%Y%m%dT%H%M%S%fZ')}-{safe_id}.eml"
        data = msg.as_bytes()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".eml", dir=self.directory)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                path = self.directory / name
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise MailDeliveryError(f"could not write the message to {self.directory}: {exc}") from exc
        return SentMail(message_id, to, sent_at, str(path))


def mailer_from_settings(settings: MailSettings) -> Mailer:
    """SMTP_URL set -> SmtpMailer; unset -> FileSinkMailer under <VAR_DIR>/mail/."""
    if settings.smtp_url:
        return SmtpMailer.from_url(settings.smtp_url, starttls=settings.starttls, timeout=settings.timeout)
    return FileSinkMailer(settings.var_dir / "mail")
