"""Orders as payments knows them: kept from the orders service's events, and waited for briefly by
a new intent whose order's OrderCreated has not arrived yet."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from billing_shared.db.uow import UnitOfWork
from billing_shared.projection import await_known
from payments.bootstrap import Deps
from payments.domain import orders
from payments.domain.orders import OrderView
from payments.store.orders import OrderProjection


def record_order_event(uow: UnitOfWork, event_name: str, data: dict[str, Any]) -> None:
    """OrderCreated / OrderPaid / OrderCancelled: the projection moves forward, never back."""
    projection = OrderProjection(uow.session)
    known = projection.get(str(data["id"]), for_update=True)
    after = orders.from_event(event_name, data, known)
    if after is None or after == known:
        return
    projection.put(after, known=known is not None, now=datetime.now(UTC))


def await_order(deps: Deps, order_id: str) -> OrderView:
    """The order, waited for up to `projection_wait_seconds` (see billing_shared.projection); a 422
    naming `orderId` when it is still unknown."""
    order = await_known(
        deps.db, lambda session: OrderProjection(session).get(order_id), deps.settings.projection_wait_seconds
    )
    if order is None:
        raise orders.unknown_order(order_id)
    return order
