"""Named fault points for crash tests: `BILLING_FAULTS=relay.after_publish` makes the
process SIGKILL itself when it reaches that point, exactly as a crash would.

Never honoured when `ENVIRONMENT=production`.
"""

from __future__ import annotations

import os
import signal

_ARMED = frozenset(p for p in os.environ.get("BILLING_FAULTS", "").split(",") if p)


def point(name: str) -> None:
    if name in _ARMED and os.environ.get("ENVIRONMENT", "local") != "production":
        os.kill(os.getpid(), signal.SIGKILL)
