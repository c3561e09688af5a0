"""Invoicing's handlers of customer events (the buyer an invoice is addressed and e-mailed to)."""

from __future__ import annotations

from billing_shared.inbox.consumer import Handler

CUSTOMER_HANDLERS: dict[str, Handler] = {}
