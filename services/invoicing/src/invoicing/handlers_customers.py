"""Invoicing's handlers of customer events (the buyer an invoice is addressed and e-mailed to).

CustomerCreated and CustomerUpdated both carry the whole customer (name, e-mail, billing
address, tax id, metadata): the projection keeps the newest version of it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from billing_shared.db.uow import UnitOfWork
from billing_shared.events import contracts
from billing_shared.events.envelope import Envelope
from billing_shared.inbox.consumer import Handler
from invoicing.store.customers import CustomerProjection

log = logging.getLogger(__name__)


def customer_changed(uow: UnitOfWork, event: Envelope) -> None:
    try:
        contracts.check(event.name, event.version, event.data)
    except contracts.ContractError as exc:  # can never apply: skip, do not block the topic
        log.warning("event ignored: it breaks its contract", extra={"event_id": event.id, "error": str(exc)})
        return
    data = {k: v for k, v in event.data.items() if k != "changed"}
    CustomerProjection(uow.session).apply(data, datetime.now(UTC))


CUSTOMER_HANDLERS: dict[str, Handler] = {
    "CustomerCreated": customer_changed,
    "CustomerUpdated": customer_changed,
}
