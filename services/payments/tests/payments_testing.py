"""Helpers of the payments tests: orders' events as the worker would apply them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask

from billing_shared.events.envelope import Envelope
from payments.handlers import handlers


def order_event(name: str, data: dict[str, Any]) -> Envelope:
    return Envelope(
        id=str(uuid.uuid4()),
        type=f"billing.{name}.v1",
        source="/orders",
        subject=data["id"],
        time=datetime.now(UTC).isoformat(),
        dataschema="",
        key=data["id"],
        data=data,
    )


def invoice_event(name: str, data: dict[str, Any], *, event_id: str | None = None) -> Envelope:
    return Envelope(
        id=event_id or str(uuid.uuid4()),
        type=f"billing.{name}.v1",
        source="/invoicing",
        subject=data["invoiceId"],
        time=datetime.now(UTC).isoformat(),
        dataschema="",
        key=data["invoiceId"],
        data=data,
    )


def deliver(app: Flask, event: Envelope) -> None:
    """Apply an event as the worker would (the inbox aside)."""
    db = app.extensions["billing_db"]
    with db.unit_of_work() as uow:
        handlers(app.extensions["payments_flows"])[event.name](uow, event)
        uow.commit()
