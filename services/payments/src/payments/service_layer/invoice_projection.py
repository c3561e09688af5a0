"""Invoices as payments knows them: kept from the invoicing service's events, and waited for
briefly by a payment of an invoice whose InvoiceFinalized has not arrived yet."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from billing_shared.db.uow import UnitOfWork
from billing_shared.projection import await_known
from payments.bootstrap import Deps
from payments.domain import invoices
from payments.domain.invoices import InvoiceView
from payments.service_layer.order_projection import record_order_event
from payments.store.invoices import InvoiceProjection


def record_invoice_event(uow: UnitOfWork, event_name: str, data: dict[str, Any]) -> None:
    """InvoiceFinalized / InvoicePaid / InvoiceVoided / InvoiceMarkedUncollectible: forward only.
    An order's invoice paid (out of band, say) is its order paid: no intent may take it again."""
    if event_name == "InvoicePaid" and data.get("orderId"):
        order = {"id": data["orderId"]} | {k: data[k] for k in ("customerId", "currency", "total")}
        record_order_event(uow, "OrderPaid", order)
    projection = InvoiceProjection(uow.session)
    known = projection.get(str(data["id"]), for_update=True)
    after = invoices.from_event(event_name, data, known)
    if after is None or after == known:
        return
    projection.put(after, known=known is not None, now=datetime.now(UTC))


def await_invoice(deps: Deps, invoice_id: str) -> InvoiceView:
    """The invoice, waited for up to `projection_wait_seconds`; a 422 naming `invoiceId` when it
    is still unknown (a draft is not due: it is never known here)."""
    invoice = await_known(
        deps.db,
        lambda session: InvoiceProjection(session).get(invoice_id),
        deps.settings.projection_wait_seconds,
    )
    if invoice is None:
        raise invoices.unknown_invoice(invoice_id)
    return invoice
