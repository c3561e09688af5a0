"""What was mailed about an invoice (`GET /Invoices/{id}/sends`): the sendings recorded on it and
the automatic mail still waiting for the server or skipped."""

from __future__ import annotations

from typing import Any

from billing_shared.auth.scope import CustomerScope
from billing_shared.db.timestamps import iso
from billing_shared.db.uow import UnitOfWork
from invoicing.domain.mail import SENT
from invoicing.service_layer.invoices import get_invoice
from invoicing.store.outgoing_mail import OutgoingMail
from invoicing.store.sends import InvoiceSends


def invoice_sends(uow: UnitOfWork, scope: CustomerScope, invoice_id: str) -> list[dict[str, Any]]:
    invoice = get_invoice(uow, scope, invoice_id)  # 404 for an invoice the caller may not see
    sent = [
        {"kind": r.kind, "status": SENT, "to": r.sent_to, "messageId": r.message_id, "sentAt": iso(r.sent_at)}
        for r in InvoiceSends(uow.session).of_invoice(invoice.id)
    ]
    waiting = [
        {
            "kind": m.kind,
            "status": m.status,
            "to": m.sent_to,
            "messageId": m.message_id,
            "sentAt": None,
            "attempts": m.attempts,
            "nextAttemptAt": iso(m.next_attempt_at),
            "lastError": m.last_error,
        }
        for m in OutgoingMail(uow.session).of_invoice(invoice.id)
        if m.status != SENT
    ]
    return sent + waiting
