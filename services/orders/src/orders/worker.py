"""The orders worker: publishes its outbox and applies other services' events (`handlers`)."""

from __future__ import annotations

from billing_shared.worker import run_worker
from orders.bootstrap import bootstrap
from orders.config import OrdersSettings
from orders.handlers import HANDLERS, TOPICS


def main(settings: OrdersSettings | None = None) -> None:
    run_worker(bootstrap(settings), handlers=HANDLERS, topics=TOPICS)
