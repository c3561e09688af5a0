"""What one run of the recurring biller did: the answer of POST /SubscriptionBillingRuns and the
line `invoicing billing-run` prints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class RunReport:
    as_of: str  # ISO 8601, as asked
    due: int = 0  # subscriptions whose period was over, locked by this run
    invoiced: int = 0
    charges_requested: int = 0
    retried: int = 0  # dunning retries requested
    canceled: int = 0
    skipped: int = 0  # held by another run, or failed alone (a later run bills them)

    def to_data(self) -> dict[str, Any]:
        """camelCase, in this order, as the API and the CLI have always answered it."""
        return {
            "asOf": self.as_of,
            "due": self.due,
            "invoiced": self.invoiced,
            "chargesRequested": self.charges_requested,
            "retried": self.retried,
            "canceled": self.canceled,
            "skipped": self.skipped,
        }
