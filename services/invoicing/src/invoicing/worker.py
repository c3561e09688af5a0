"""The invoicing worker: publishes its outbox; drafts, finalizes and settles invoices from events."""

from __future__ import annotations

from billing_shared.logs import configure_logging
from billing_shared.worker import run_worker
from invoicing.config import InvoicingSettings
from invoicing.handlers import HANDLERS, TOPICS
from invoicing.store.database import open_database


def main(settings: InvoicingSettings | None = None) -> None:
    s = settings or InvoicingSettings()
    configure_logging(s.service_name + "-worker", s.log_level)
    run_worker(
        settings=s,
        db=open_database(s.db_url()),
        handlers=HANDLERS,
        topics=TOPICS,
        health_port=s.worker_health_port,
        health_host=s.host,
    )
