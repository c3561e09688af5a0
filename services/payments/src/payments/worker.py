"""The payments worker: publishes its outbox, keeps the order projection current, records the
renewal charges invoicing asks for and makes them off-session, and drives again every provider call
whose answer was lost (see `payments.flows`)."""

from __future__ import annotations

from billing_shared.logs import configure_logging
from billing_shared.worker import run_worker
from payments.config import PaymentsSettings
from payments.flows import Flows
from payments.handlers import TOPICS, handlers
from payments.providers import registry
from payments.store.database import open_database


def main(settings: PaymentsSettings | None = None) -> None:
    s = settings or PaymentsSettings()
    configure_logging(s.service_name + "-worker", s.log_level)
    db = open_database(s.db_url())
    flows = Flows(db, registry.build(s), s)
    run_worker(
        settings=s,
        db=db,
        handlers=handlers(flows),
        topics=TOPICS,
        health_port=s.worker_health_port,
        health_host=s.host,
        periodic=[
            (s.recovery_interval_seconds, flows.recover),
            # renewal charges recorded by InvoicePaymentRequested: called within this interval
            (s.off_session_interval_seconds, flows.charge_off_session),
        ],
    )
