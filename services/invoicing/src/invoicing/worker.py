"""The invoicing worker: publishes its outbox; drafts, finalizes and settles invoices, issues credit
notes, starts subscriptions and follows their renewal charges from other services' events
(`handlers`)."""

from __future__ import annotations

from billing_shared.worker import run_worker
from invoicing.bootstrap import bootstrap
from invoicing.config import InvoicingSettings
from invoicing.handlers import HANDLERS, TOPICS


def main(settings: InvoicingSettings | None = None) -> None:
    run_worker(bootstrap(settings), handlers=HANDLERS, topics=TOPICS)
