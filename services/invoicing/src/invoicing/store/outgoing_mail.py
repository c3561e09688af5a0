"""The mail waiting to be sent (`outgoing_mail`): queued with its cause, claimed for one try at a
time, then sent, put off after a failure, or skipped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from invoicing.domain.mail import PENDING, SENT, SKIPPED, MailRequest
from invoicing.store.tables import outgoing_mail


@dataclass(frozen=True)
class QueuedMail:
    id: str
    kind: str
    customer_id: str
    invoice_id: str | None
    subscription_id: str | None
    data: dict[str, Any]
    message_id: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    sent_to: str | None
    created_at: datetime
    sent_at: datetime | None


def _mail(row: Any) -> QueuedMail:
    return QueuedMail(**{name: getattr(row, name) for name in QueuedMail.__dataclass_fields__})


class OutgoingMail:
    def __init__(self, session: Session) -> None:
        self.session = session

    def queue(self, mail_id: str, req: MailRequest, message_id: str, now: datetime) -> bool:
        """Queues the mail unless its cause already queued one (a replay): False then."""
        try:
            with self.session.begin_nested():
                self.session.execute(
                    insert(outgoing_mail).values(
                        id=mail_id,
                        kind=req.kind,
                        dedupe_key=req.dedupe_key,
                        customer_id=req.customer_id,
                        invoice_id=req.invoice_id,
                        subscription_id=req.subscription_id,
                        data=req.data,
                        message_id=message_id,
                        status=PENDING,
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
        except IntegrityError:
            return False
        return True

    def get(self, mail_id: str) -> QueuedMail | None:
        row = self.session.execute(select(outgoing_mail).where(outgoing_mail.c.id == mail_id)).first()
        return _mail(row) if row else None

    def due(self, now: datetime, limit: int) -> list[str]:
        """The ids of pending mail whose time has come, oldest first."""
        stmt = (
            select(outgoing_mail.c.id)
            .where(outgoing_mail.c.status == PENDING, outgoing_mail.c.next_attempt_at <= now)
            .order_by(outgoing_mail.c.next_attempt_at)
            .limit(limit)
        )
        return list(self.session.execute(stmt).scalars())

    def claim(self, mail_id: str, now: datetime, until: datetime) -> bool:
        """Takes the mail for one try: no other sender tries it before `until` (a sender that dies
        mid-try leaves it to be tried again then). False when another sender took it first."""
        res = self.session.execute(
            update(outgoing_mail)
            .where(
                outgoing_mail.c.id == mail_id,
                outgoing_mail.c.status == PENDING,
                outgoing_mail.c.next_attempt_at <= now,
            )
            .values(next_attempt_at=until, attempts=outgoing_mail.c.attempts + 1)
        )
        return bool(getattr(res, "rowcount", 0))

    def sent(self, mail_id: str, to: str, now: datetime) -> None:
        self._set(mail_id, status=SENT, sent_to=to, sent_at=now, last_error=None)

    def failed(self, mail_id: str, error: str, retry_at: datetime) -> None:
        self._set(mail_id, last_error=error[:500], next_attempt_at=retry_at)

    def skipped(self, mail_id: str, reason: str) -> None:
        self._set(mail_id, status=SKIPPED, last_error=reason[:500])

    def _set(self, mail_id: str, **values: Any) -> None:
        self.session.execute(update(outgoing_mail).where(outgoing_mail.c.id == mail_id).values(**values))

    def of_invoice(self, invoice_id: str) -> list[QueuedMail]:
        stmt = (
            select(outgoing_mail)
            .where(outgoing_mail.c.invoice_id == invoice_id)
            .order_by(outgoing_mail.c.created_at)
        )
        return [_mail(r) for r in self.session.execute(stmt)]
