"""Invoice e-mail: a real SMTP server in-process (aiosmtpd) receives the message with the PDF intact;
the local sink writes a parseable .eml atomically; a refused connection is a clear error."""

from __future__ import annotations

import email
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from invoicing.adapters.documents.pdf import render_pdf
from invoicing.adapters.mail.mailer import (
    FileSinkMailer,
    MailConfigError,
    MailDeliveryError,
    MailSettings,
    SmtpMailer,
    mailer_from_settings,
)
from invoicing.adapters.mail.message import Attachment, compose
from invoicing.bootstrap import mail_settings
from invoicing.config import InvoicingSettings
from invoicing.domain.documents import Buyer, DocumentLine, InvoiceDocument, Seller, pdf_filename
from invoicing.domain.formatting import format_money

NUMBER = "INV-2026-000007"
LOCAL = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class _Inbox:
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 Message accepted for delivery"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"billing",
        b"p@ss:word",
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture()
def smtp_server() -> Iterator[tuple[Controller, _Inbox]]:
    inbox = _Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=_free_port(),
        authenticator=_authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def pdf() -> bytes:
    doc = InvoiceDocument(
        seller=Seller("Acme Billing Inc.", ("1 Main St", "Springfield"), "US-99"),
        buyer=Buyer("Jane Doe", "jane@example.com", ("2 Elm St",), None),
        number=NUMBER,
        issue_date=date(2026, 11, 25),
        due_date=date(2026, 12, 25),
        currency="USD",
        locale="en_US",
        lines=(DocumentLine("Pro plan", 1, 123456, 0, "0", 0, 123456),),
        subtotal=123456,
        discount_total=0,
        tax_total=0,
        total=123456,
        status="open",
    )
    return render_pdf(doc)


def _message(pdf: bytes, to: str = "Jane Doe <jane@example.com>") -> EmailMessage:
    context = {
        "seller": "Acme Billing Inc.",
        "buyer": "Jane Doe",
        "support_email": None,
        "accent_color": "#1f6feb",
        "footer": None,
        "number": NUMBER,
        "total": format_money(123456, "USD", "en_US"),
        "due_date": "Dec 25, 2026",
        "hosted_url": "https://billing.acme.test/i/abc.def?x=1&y=2",
        "lines": [("Widget", format_money(123456, "USD", "en_US"))],
    }
    return compose(
        kind="invoice",
        locale="en_US",
        sender="Acme Billing <billing@acme.test>",
        to=to,
        context=context,
        attachment=Attachment(pdf, pdf_filename(NUMBER)),
    )


def _parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _check_invoice_mail(msg: EmailMessage, pdf: bytes) -> None:
    assert NUMBER in str(msg["Subject"])
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    assert "https://billing.acme.test/i/abc.def?x=1&y=2" in plain.get_content()
    assert 'href="https://billing.acme.test/i/abc.def?x=1&amp;y=2"' in html.get_content()
    assert "$1,234.56" in plain.get_content()
    attachments = list(msg.iter_attachments())
    assert len(attachments) == 1
    part = attachments[0]
    assert part.get_content_type() == "application/pdf"
    assert part.get_filename() == f"{NUMBER}.pdf"
    assert part.get_payload(decode=True) == pdf  # byte for byte


def test_message_has_subject_bodies_and_pdf(pdf: bytes) -> None:
    msg = _message(pdf)
    _check_invoice_mail(_parse(msg.as_bytes()), pdf)
    assert str(msg["Message-ID"]).endswith("@acme.test>")


def test_pdf_filename_is_safe() -> None:
    assert pdf_filename("INV-2026-000001") == "INV-2026-000001.pdf"
    assert pdf_filename("../../etc/passwd") == "etc_passwd.pdf"
    assert pdf_filename("") == "invoice.pdf"


def test_header_injection_is_refused(pdf: bytes) -> None:
    with pytest.raises(ValueError):
        _message(pdf, to="jane@example.com\r\nBcc: victim@example.com")


def test_smtp_server_receives_the_message_with_the_pdf_intact(
    smtp_server: tuple[Controller, _Inbox], pdf: bytes
) -> None:
    controller, inbox = smtp_server
    url = f"smtp://billing:p%40ss%3Aword@127.0.0.1:{controller.port}"
    mailer = mailer_from_settings(MailSettings(smtp_url=url, timeout=10))
    assert isinstance(mailer, SmtpMailer)
    msg = _message(pdf)
    sent = mailer.send(msg)
    assert sent.to == ("jane@example.com",)
    assert sent.message_id == str(msg["Message-ID"])
    assert sent.path_or_server == f"smtp://127.0.0.1:{controller.port}"
    assert "p@ss" not in sent.path_or_server
    assert sent.sent_at.tzinfo is not None

    assert len(inbox.messages) == 1
    mail_from, rcpt_tos, raw = inbox.messages[0]
    assert mail_from == "billing@acme.test"
    assert rcpt_tos == ["jane@example.com"]
    received = _parse(raw)
    assert received["Message-ID"] == msg["Message-ID"]
    _check_invoice_mail(received, pdf)


def test_smtp_wrong_password_is_a_clear_error(smtp_server: tuple[Controller, _Inbox], pdf: bytes) -> None:
    controller, inbox = smtp_server
    mailer = SmtpMailer.from_url(f"smtp://billing:wrong@127.0.0.1:{controller.port}", timeout=10)
    with pytest.raises(MailDeliveryError, match="refused the login"):
        mailer.send(_message(pdf))
    assert inbox.messages == []


def test_refused_connection_raises_a_clear_error(pdf: bytes) -> None:
    port = _free_port()  # nothing listens there
    mailer = SmtpMailer.from_url(f"smtp://127.0.0.1:{port}", timeout=5)
    with pytest.raises(MailDeliveryError, match=rf"could not connect to SMTP server smtp://127.0.0.1:{port}"):
        mailer.send(_message(pdf))


def test_smtp_url_parsing() -> None:
    m = SmtpMailer.from_url("smtps://u:p@mail.example.com")
    assert (m.host, m.port, m.use_ssl, m.starttls, m.username, m.password) == (
        "mail.example.com",
        465,
        True,
        False,
        "u",
        "p",
    )
    m = SmtpMailer.from_url("smtp://mail.example.com?starttls=true")
    assert (m.port, m.starttls, m.username) == (587, True, None)
    m = SmtpMailer.from_url("smtp://mail.example.com:2525", starttls=True)
    assert (m.port, m.starttls) == (2525, True)
    assert SmtpMailer.from_url("smtp://h").port == 25
    assert "secretpw" not in repr(SmtpMailer.from_url("smtp://u:secretpw@h"))
    for bad in ("http://h", "smtp://", "smtps://h?starttls=1", "smtp://h:notaport"):
        with pytest.raises(MailConfigError):
            SmtpMailer.from_url(bad)


def test_settings_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMTP_URL", raising=False)
    for name, value in {"VAR_DIR": str(tmp_path), "SMTP_STARTTLS": "true", "MAIL_FROM": "a@b.c"}.items():
        monkeypatch.setenv(name, value)
    s = mail_settings(InvoicingSettings())
    assert (s.smtp_url, s.var_dir, s.starttls, s.sender) == (None, tmp_path, True, "a@b.c")
    sink = mailer_from_settings(s)
    assert isinstance(sink, FileSinkMailer)
    assert sink.directory == tmp_path / "mail"


def test_sink_writes_one_parseable_eml_per_message(tmp_path: Path, pdf: bytes) -> None:
    fixed = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    mailer = mailer_from_settings(MailSettings(var_dir=tmp_path))
    assert isinstance(mailer, FileSinkMailer)
    mailer.clock = lambda: fixed
    first = _message(pdf)
    second = _message(pdf)
    sent1 = mailer.send(first)
    sent2 = mailer.send(second)
    files = sorted((tmp_path / "mail").iterdir())
    assert [f.suffix for f in files] == [".eml", ".eml"]  # no temp file left behind
    assert {sent1.path_or_server, sent2.path_or_server} == {str(f) for f in files}
    assert sent1.sent_at == fixed and sent1.to == ("jane@example.com",)
    path = Path(sent1.path_or_server)
    assert str(first["Message-ID"]).strip("<>") in path.name
    received = _parse(path.read_bytes())
    assert received["Message-ID"] == first["Message-ID"]
    _check_invoice_mail(received, pdf)


def test_the_sink_files_a_message_sent_again_once(tmp_path: Path, pdf: bytes) -> None:
    """A mail tried again after a crash (the same Message-ID) is not a second mail in the box."""
    mailer = FileSinkMailer(tmp_path / "mail")
    msg = _message(pdf)
    first, again = mailer.send(msg), mailer.send(msg)
    assert first.path_or_server == again.path_or_server
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1


def test_sink_failure_is_a_clear_error(tmp_path: Path, pdf: bytes) -> None:
    blocker = tmp_path / "mail"
    blocker.write_text("not a directory")
    with pytest.raises(MailDeliveryError, match="could not write the message"):
        FileSinkMailer(blocker).send(_message(pdf))


def _self_signed(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client context trusting only that server's certificate) for 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client


def test_starttls_upgrades_before_login(tmp_path: Path, pdf: bytes) -> None:
    server_ctx, client_ctx = _self_signed(tmp_path)
    inbox = _Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=_free_port(),
        tls_context=server_ctx,
        require_starttls=True,
        authenticator=_authenticator,
    )
    controller.start()
    try:
        url = f"smtp://billing:p%40ss%3Aword@127.0.0.1:{controller.port}?starttls=true"
        mailer = SmtpMailer.from_url(url, timeout=10)
        mailer.ssl_context = client_ctx
        sent = mailer.send(_message(pdf))
        assert sent.path_or_server == f"smtp://127.0.0.1:{controller.port}"
        _check_invoice_mail(_parse(inbox.messages[0][2]), pdf)

        plain = SmtpMailer.from_url(url.replace("?starttls=true", ""), timeout=10)
        with pytest.raises(MailDeliveryError):  # the server insists on TLS first
            plain.send(_message(pdf))
    finally:
        controller.stop()
    assert len(inbox.messages) == 1


def test_smtps_speaks_tls_from_the_first_byte(tmp_path: Path, pdf: bytes) -> None:
    server_ctx, client_ctx = _self_signed(tmp_path)
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(), ssl_context=server_ctx)
    controller.start()
    try:
        mailer = SmtpMailer.from_url(f"smtps://127.0.0.1:{controller.port}", timeout=10)
        mailer.ssl_context = client_ctx
        sent = mailer.send(_message(pdf))
        assert sent.path_or_server == f"smtps://127.0.0.1:{controller.port}"
        _check_invoice_mail(_parse(inbox.messages[0][2]), pdf)
    finally:
        controller.stop()
