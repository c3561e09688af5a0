"""Queueing the automatic e-mails, in the transaction of their cause.

`queue_for_events` runs wherever invoicing writes events to its outbox (the Database's `on_emit`),
so every path that finalizes or pays an invoice, warns of a trial's end or cancels a subscription
queues its mail with no call of its own; a declined renewal charge queues one per attempt
(`queue`, from dunning). A cause queues one mail, ever (`dedupe_key`). `mail_sender` sends them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from billing_shared.events.envelope import Envelope
from billing_shared.ids import new_id
from invoicing.adapters.mail.message import message_id_for
from invoicing.domain import mail
from invoicing.domain.mail import MailRequest
from invoicing.store.outgoing_mail import OutgoingMail


def queue(session: Session, req: MailRequest, sender: str, now: datetime) -> bool:
    """Queues `req` unless its cause already did; False then."""
    mail_id = new_id("mail")
    return OutgoingMail(session).queue(mail_id, req, message_id_for(mail_id, sender), now)


def queue_for_events(sender: str) -> Callable[[Session, list[Envelope]], None]:
    """The Database's `on_emit`: the mail each emitted event calls for, in the same transaction."""

    def on_emit(session: Session, envs: list[Envelope]) -> None:
        now = datetime.now(UTC)
        for env in envs:
            req = mail.requested_by(env.name, env.data)
            if req is not None:
                queue(session, req, sender, now)

    return on_emit
