"""The payments worker: publishes its outbox, keeps the order projection current, records the
renewal charges invoicing asks for (`handlers`) and makes them off-session, and drives again every
provider call whose answer was lost (`payments.service_layer.recovery`)."""

from __future__ import annotations

from functools import partial

from billing_shared.worker import run_worker
from payments.bootstrap import bootstrap
from payments.config import PaymentsSettings
from payments.handlers import HANDLERS, TOPICS
from payments.service_layer import recovery, renewals


def main(settings: PaymentsSettings | None = None) -> None:
    deps = bootstrap(settings)
    s = deps.settings
    run_worker(
        deps,
        handlers=HANDLERS,
        topics=TOPICS,
        periodic=[
            (s.recovery_interval_seconds, partial(recovery.recover, deps)),
            # renewal charges recorded by InvoicePaymentRequested: called within this interval
            (s.off_session_interval_seconds, partial(renewals.charge_off_session, deps)),
        ],
    )
