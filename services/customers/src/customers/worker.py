"""The customers worker: publishes its outbox and records references from others' events."""

from __future__ import annotations

from billing_shared.logs import configure_logging
from billing_shared.worker import run_worker
from customers.config import CustomersSettings
from customers.handlers import HANDLERS, TOPICS
from customers.store.database import open_database


def main(settings: CustomersSettings | None = None) -> None:
    s = settings or CustomersSettings()
    configure_logging(s.service_name + "-worker", s.log_level)
    run_worker(
        settings=s,
        db=open_database(s.db_url()),
        handlers=HANDLERS,
        topics=TOPICS,
        health_port=s.worker_health_port,
        health_host=s.host,
    )
