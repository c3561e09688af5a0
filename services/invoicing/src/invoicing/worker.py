"""The invoicing worker: publishes its outbox; drafts, finalizes and settles invoices, issues credit
notes, starts subscriptions and follows their renewal charges from other services' events
(`handlers`); sends the automatic e-mails (`service_layer.mail`)."""

from __future__ import annotations

from billing_shared.worker import run_worker
from invoicing.bootstrap import bootstrap
from invoicing.config import InvoicingSettings
from invoicing.handlers import HANDLERS, TOPICS
from invoicing.service_layer import mail_sender


def main(settings: InvoicingSettings | None = None) -> None:
    deps = bootstrap(settings)
    run_worker(
        deps,
        handlers=HANDLERS,
        topics=TOPICS,
        periodic=[(deps.settings.mail_poll_seconds, lambda: mail_sender.send_due(deps))],
    )
