"""Running the recurring biller: once (`invoicing billing-run`, a Kubernetes CronJob) or every
INVOICING_BILLING_INTERVAL seconds with the real clock (`invoicing scheduler`, under make run).

Both are safe to run twice or at once: the biller bills each (subscription, period) once.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
from datetime import UTC, datetime

from billing_shared.logs import configure_logging
from invoicing.bootstrap import bootstrap
from invoicing.config import InvoicingSettings
from invoicing.service_layer import billing_runs

log = logging.getLogger(__name__)


def billing_run(settings: InvoicingSettings, argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="invoicing billing-run")
    parser.add_argument("--as-of", type=datetime.fromisoformat, default=None, help="ISO 8601; default now")
    args = parser.parse_args(argv)
    configure_logging(settings.service_name + "-biller", settings.log_level)
    now = datetime.now(UTC)
    as_of = args.as_of or now
    if as_of.tzinfo is None:
        parser.error("--as-of needs an offset, e.g. 2027-01-01T00:00:00Z")
    deps = bootstrap(settings)
    try:
        print(json.dumps(billing_runs.bill_due(deps.db, as_of.astimezone(UTC), now).to_data()))
    finally:
        deps.db.dispose()


def scheduler(settings: InvoicingSettings, argv: list[str]) -> None:
    if argv:
        raise SystemExit(f"invoicing scheduler takes no arguments, got {argv}")
    configure_logging(settings.service_name + "-scheduler", settings.log_level)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    deps = bootstrap(settings)
    log.info("scheduler started", extra={"interval_s": settings.billing_interval_seconds})
    while not stop.is_set():
        now = datetime.now(UTC)
        try:
            report = billing_runs.bill_due(deps.db, now, now)
            if report.due or report.retried:
                log.info("billing run", extra=report.to_data())
        except Exception:  # the next tick tries again; the biller is safe to repeat
            log.exception("billing run failed")
        stop.wait(settings.billing_interval_seconds)
    deps.db.dispose()
