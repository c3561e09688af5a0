"""Invoicing's handlers of refunds and disputes of an invoice's payment (credit notes, dispute flag)."""

from __future__ import annotations

from billing_shared.inbox.consumer import Handler

REFUND_HANDLERS: dict[str, Handler] = {}
