"""Invoicing's handlers for subscriptions: renewal charges succeeded or failed (dunning)."""

from __future__ import annotations

from billing_shared.inbox.consumer import Handler

SUBSCRIPTION_HANDLERS: dict[str, Handler] = {}
