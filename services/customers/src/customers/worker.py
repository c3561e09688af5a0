"""The customers worker: publishes its outbox and applies other services' events (`handlers`)."""

from __future__ import annotations

from billing_shared.worker import run_worker
from customers.bootstrap import bootstrap
from customers.config import CustomersSettings
from customers.handlers import HANDLERS, TOPICS


def main(settings: CustomersSettings | None = None) -> None:
    run_worker(bootstrap(settings), handlers=HANDLERS, topics=TOPICS)
