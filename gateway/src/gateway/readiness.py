"""`/readyz`: ready only when every enabled upstream's /readyz is 200 and the gateway's DB answers.

The answer is cached for a second so a tight probe loop (or a load balancer fleet) does not
multiply into upstream traffic; concurrent probes share one check.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping

import aiohttp

CACHE_SECONDS = 1.0
PROBE_TIMEOUT = aiohttp.ClientTimeout(total=2.0)


class Readiness:
    def __init__(
        self,
        services: tuple[str, ...],
        urls: Mapping[str, str],
        sessions: Mapping[str, aiohttp.ClientSession],
        db_ping: Callable[[], None],
    ) -> None:
        self.services = services
        self.urls = urls
        self.sessions = sessions
        self.db_ping = db_ping
        self._cached: tuple[float, dict[str, str]] | None = None
        self._lock = asyncio.Lock()

    async def check(self) -> dict[str, str]:
        """Each check's name -> "ok" or why it is not ready."""
        cached = self._cached
        if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        async with self._lock:
            cached = self._cached
            if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
                return cached[1]
            names = [*self.services, "database"]
            results = await asyncio.gather(*(self._probe(s) for s in self.services), self._db())
            checks = dict(zip(names, results, strict=True))
            self._cached = (time.monotonic(), checks)
            return checks

    async def _probe(self, service: str) -> str:
        try:
            async with self.sessions[service].get(
                f"{self.urls[service]}/readyz", timeout=PROBE_TIMEOUT, allow_redirects=False
            ) as resp:
                await resp.read()
                return "ok" if resp.status == 200 else f"/readyz answered {resp.status}"
        except TimeoutError:
            return "/readyz timed out"
        except aiohttp.ClientError as exc:
            return f"unreachable ({type(exc).__name__})"

    async def _db(self) -> str:
        try:
            await asyncio.get_running_loop().run_in_executor(None, self.db_ping)
        except Exception as exc:  # any driver error means "not ready", with its name for the operator
            return f"unavailable ({type(exc).__name__})"
        return "ok"
