"""The orders worker: publishes its outbox; keeps the customer projection and order states current."""

from __future__ import annotations

from billing_shared.logs import configure_logging
from billing_shared.worker import run_worker
from orders.config import OrdersSettings
from orders.handlers import HANDLERS, TOPICS
from orders.store.database import open_database


def main(settings: OrdersSettings | None = None) -> None:
    s = settings or OrdersSettings()
    configure_logging(s.service_name + "-worker", s.log_level)
    run_worker(
        settings=s,
        db=open_database(s.db_url()),
        handlers=HANDLERS,
        topics=TOPICS,
        health_port=s.worker_health_port,
        health_host=s.host,
    )
