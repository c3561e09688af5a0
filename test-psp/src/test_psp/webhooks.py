"""Sends recorded events to TEST_PSP_WEBHOOK_URL, signed, from the background, as a provider does.

An event stays pending until an answer in 2xx; each failure waits longer (backoff doubling up to a
minute) and after `webhook_max_attempts` the event is given up (status `failed`). Events live in the
SQLite file, so a restart resumes what was not yet delivered. Deliveries may overlap and arrive out
of order; each event carries `created` and a unique `id`, and the receiver dedupes, as with a real
provider. Nothing of a body is logged.

TEST_PSP_WEBHOOK_CHAOS (fault runs) makes it worse on purpose: `duplicate` sends each delivered
event once more a moment later, `reorder` holds a third of the new events back up to two seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import random
import time
from typing import Any

import aiohttp

from test_psp.config import TestPspSettings
from test_psp.psp import TestPsp

log = logging.getLogger("testpsp.webhooks")

SIGNATURE_HEADER = "Test-Psp-Signature"
MAX_BACKOFF = 60.0
BATCH = 32


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """`t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the timestamp is signed too, so an old
    delivery cannot be replayed later with a fresh time."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


class Deliverer:
    def __init__(self, settings: TestPspSettings, psp: TestPsp) -> None:
        self.settings = settings
        self.psp = psp
        self.db = psp.db
        self.wake = asyncio.Event()
        self._warned_no_url = False
        self._extra: set[asyncio.Task[None]] = set()

    def nudge(self) -> None:
        self.wake.set()

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=10, connect=3)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while True:
                self.wake.clear()
                try:
                    await self.once(http)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("webhook round failed; retrying shortly")
                await self._sleep()

    async def once(self, http: aiohttp.ClientSession) -> int:
        """One round: open due disputes, then try every due event (concurrently). Returns how many."""
        now = time.time()
        self.psp.open_disputes(now)
        if not self.settings.webhook_url:
            if not self._warned_no_url:
                log.warning("TEST_PSP_WEBHOOK_URL is not set: events are recorded but not sent")
                self._warned_no_url = True
            return 0
        due = self.db.execute(
            "SELECT id, type, body, attempts FROM events WHERE status = 'pending' AND next_attempt <= ?"
            " ORDER BY seq LIMIT ?",
            (now, BATCH),
        ).fetchall()
        if due and "reorder" in self.settings.webhook_chaos:
            due = self._hold_back(due, now)
        if due:
            await asyncio.gather(*(self._deliver(http, dict(row)) for row in due))
        return len(due)

    def _hold_back(self, due: list[Any], now: float) -> list[Any]:
        """Postpone about a third of the first attempts, so events recorded later overtake them."""
        sent = []
        for row in due:
            if row["attempts"] == 0 and random.random() < 1 / 3:
                self.db.execute(
                    "UPDATE events SET attempts = -1, next_attempt = ? WHERE id = ? AND attempts = 0",
                    (now + random.uniform(0.2, 2.0), row["id"]),
                )
            else:
                sent.append(row)
        return sent

    def _duplicate(self, http: aiohttp.ClientSession, event: dict[str, Any]) -> None:
        async def again() -> None:
            await asyncio.sleep(random.uniform(0.0, 1.0))
            body = event["body"].encode()
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(self.settings.webhook_secret, body, int(time.time())),
                "User-Agent": "billing-test-psp/1",
            }
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.post(self.settings.webhook_url, data=body, headers=headers) as resp:
                    await resp.read()

        task = asyncio.get_running_loop().create_task(again())
        self._extra.add(task)
        task.add_done_callback(self._extra.discard)

    async def _sleep(self) -> None:
        upcoming = [
            t
            for t in (
                self.psp.next_dispute(),
                self.db.execute(
                    "SELECT MIN(next_attempt) AS t FROM events WHERE status = 'pending'"
                ).fetchone()["t"]
                if self.settings.webhook_url
                else None,
            )
            if t is not None
        ]
        wait = min([1.0, *(max(0.0, t - time.time()) for t in upcoming)])
        if wait <= 0:
            await asyncio.sleep(0)  # let requests in between rounds
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), timeout=wait)

    async def _deliver(self, http: aiohttp.ClientSession, event: dict[str, Any]) -> None:
        body = event["body"].encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.settings.webhook_secret, body, int(time.time())),
            "User-Agent": "billing-test-psp/1",
        }
        attempt = max(0, event["attempts"]) + 1  # -1: held back once by the reorder chaos
        error: str | None = None
        try:
            async with http.post(self.settings.webhook_url, data=body, headers=headers) as resp:
                await resp.read()
                if 200 <= resp.status < 300:
                    self.db.execute(
                        "UPDATE events SET status = 'delivered', attempts = ?, last_error = NULL"
                        " WHERE id = ?",
                        (attempt, event["id"]),
                    )
                    if "duplicate" in self.settings.webhook_chaos:
                        self._duplicate(http, event)
                    log.info(
                        "webhook delivered",
                        extra={"event_id": event["id"], "event_type": event["type"], "attempt": attempt},
                    )
                    return
                error = f"HTTP {resp.status}"
        except (aiohttp.ClientError, TimeoutError) as e:
            error = type(e).__name__
        if attempt >= self.settings.webhook_max_attempts:
            self.db.execute(
                "UPDATE events SET status = 'failed', attempts = ?, last_error = ? WHERE id = ?",
                (attempt, error, event["id"]),
            )
            log.error(
                "webhook given up",
                extra={
                    "event_id": event["id"],
                    "event_type": event["type"],
                    "attempt": attempt,
                    "error": error,
                },
            )
            return
        delay = min(MAX_BACKOFF, self.settings.webhook_backoff * 2 ** (attempt - 1))
        delay *= random.uniform(0.8, 1.2)  # jitter, not security
        self.db.execute(
            "UPDATE events SET attempts = ?, next_attempt = ?, last_error = ? WHERE id = ?",
            (attempt, time.time() + delay, error, event["id"]),
        )
        log.warning(
            "webhook failed; will retry",
            extra={"event_id": event["id"], "event_type": event["type"], "attempt": attempt, "error": error},
        )
