"""Named fault points for crash tests: `BILLING_FAULTS=relay.after_publish` makes the
process SIGKILL itself when it reaches that point, exactly as a crash would.

Armed once from the settings by the process that runs the code (`arm`); never in production.
"""

from __future__ import annotations

import os
import signal

_armed: frozenset[str] = frozenset()


def arm(points: str, environment: str) -> None:
    """`points`: comma-separated names (the BILLING_FAULTS setting)."""
    global _armed
    _armed = frozenset() if environment == "production" else frozenset(p for p in points.split(",") if p)


def point(name: str) -> None:
    if name in _armed:
        os.kill(os.getpid(), signal.SIGKILL)
