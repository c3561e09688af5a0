"""Sending the queued e-mails (`mail_queue`), every second in the worker.

Each due mail is claimed for one try in a short transaction, built and handed to the mailer with
no transaction open, then marked sent. A server that is down or refuses puts the mail off (5 s,
doubling, at most `mail_retry_cap_seconds`); a sender killed mid-try leaves its claim to lapse and
the mail is tried again, with the same Message-ID. The one way to get a duplicate is a crash after
the server accepted the mail and before it was marked sent: the mailbox then sees the same
Message-ID twice. With the `.eml` sink (no SMTP_URL) not even that: a Message-ID's file is
written once.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import OperationalError

from invoicing.adapters.mail.mailer import MailError, SentMail, mailer_from_settings
from invoicing.bootstrap import Deps
from invoicing.domain import mail
from invoicing.service_layer.mail_content import Unsendable, build
from invoicing.service_layer.sending import record_sending
from invoicing.store.outgoing_mail import OutgoingMail

log = logging.getLogger(__name__)
UNKNOWN_CUSTOMER_PATIENCE = timedelta(hours=1)  # a customer not projected by then never will be
MARK_PATIENCE = timedelta(seconds=60)  # within the claim's lease: no other sender tries it meanwhile


def send_due(deps: Deps, *, now: datetime | None = None, limit: int = 20) -> int:
    """Tries the mail whose time has come; returns how many were sent."""
    now = now or datetime.now(UTC)
    with deps.db.unit_of_work(write=False) as uow:
        due = OutgoingMail(uow.session).due(now, limit)
    return sum(_try(deps, mail_id, now) for mail_id in due)


def _try(deps: Deps, mail_id: str, now: datetime) -> bool:
    lease = now + timedelta(seconds=2 * deps.settings.smtp_timeout + 30)
    with deps.db.unit_of_work() as uow:
        outbox = OutgoingMail(uow.session)
        if not outbox.claim(mail_id, now, lease):
            return False  # another sender took it
        uow.commit()
        queued = outbox.get(mail_id)
    assert queued is not None
    with deps.db.unit_of_work(write=False) as uow:
        built = build(uow.session, deps, queued)
    if isinstance(built, Unsendable):
        if not built.final and now - queued.created_at < UNKNOWN_CUSTOMER_PATIENCE:
            _put_off(deps, mail_id, built.reason, queued.attempts, now)
        else:
            _skip(deps, mail_id, built.reason)
        return False
    msg, to = built
    try:
        sent = mailer_from_settings(deps.mail).send(msg)
    except MailError as exc:
        log.warning("mail not sent yet", extra={"mail": mail_id, "kind": queued.kind, "error": str(exc)})
        _put_off(deps, mail_id, str(exc), queued.attempts, now)
        return False
    _mark_sent(deps, mail_id, queued.invoice_id, queued.kind, to, sent)
    return True


def _mark_sent(deps: Deps, mail_id: str, invoice_id: str | None, kind: str, to: str, sent: SentMail) -> None:
    """The server has the mail: record it, trying again through a database outage (up to
    MARK_PATIENCE), since a mail left unmarked would be sent a second time after its claim lapses."""
    deadline = time.monotonic() + MARK_PATIENCE.total_seconds()
    while True:
        try:
            with deps.db.unit_of_work() as uow:
                OutgoingMail(uow.session).sent(mail_id, to, sent.sent_at)
                if invoice_id:
                    record_sending(
                        uow, invoice_id, to=to, message_id=sent.message_id, at=sent.sent_at, kind=kind
                    )
                uow.commit()
            return
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            log.warning("mail sent but not marked yet: the database is unavailable", extra={"mail": mail_id})
            time.sleep(1.0)


def _put_off(deps: Deps, mail_id: str, error: str, attempts: int, now: datetime) -> None:
    cap = timedelta(seconds=deps.settings.mail_retry_cap_seconds)
    with deps.db.unit_of_work() as uow:
        OutgoingMail(uow.session).failed(mail_id, error, now + mail.retry_delay(attempts, cap))
        uow.commit()


def _skip(deps: Deps, mail_id: str, reason: str) -> None:
    log.info("mail skipped", extra={"mail": mail_id, "reason": reason})
    with deps.db.unit_of_work() as uow:
        OutgoingMail(uow.session).skipped(mail_id, reason)
        uow.commit()
