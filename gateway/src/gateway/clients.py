"""API clients in memory: the token endpoint's lookups and the proxy's "is this client disabled?".

The DB is read at start, every refresh interval, and on an unknown id (at most once a second, so
made-up ids can't turn into a DB load); secrets are checked with argon2 in a worker thread.
"""

from __future__ import annotations

import asyncio
import time

from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gateway.store import ApiClient, Store, hasher

# Checked against when the id is unknown, so a wrong id costs as long as a wrong secret.
_DUMMY_HASH = hasher.hash("not-a-secret")


class ClientDirectory:
    def __init__(self, store: Store, miss_refresh_interval: float = 1.0) -> None:
        self._store = store
        self._clients: dict[str, ApiClient] = {}
        self.disabled: frozenset[str] = frozenset()
        self._miss_refresh_interval = miss_refresh_interval
        self._last_load = 0.0
        self._lock = asyncio.Lock()

    def replace(self, clients: list[ApiClient]) -> None:
        self._clients = {c.id: c for c in clients}
        self.disabled = frozenset(c.id for c in clients if c.disabled)
        self._last_load = time.monotonic()

    async def reload(self) -> None:
        async with self._lock:
            clients = await asyncio.get_running_loop().run_in_executor(None, self._store.list_clients)
            self.replace(clients)

    async def get(self, client_id: str) -> ApiClient | None:
        client = self._clients.get(client_id)
        if client is None and time.monotonic() - self._last_load >= self._miss_refresh_interval:
            await self.reload()
            client = self._clients.get(client_id)
        return client

    async def authenticate(self, client_id: str, secret: str) -> ApiClient | None:
        """The client if the secret matches and it is enabled; None otherwise (no hint which)."""
        client = await self.get(client_id)
        ok = await asyncio.get_running_loop().run_in_executor(
            None, _check, client.secret_hash if client else _DUMMY_HASH, secret
        )
        if not ok or client is None or client.disabled:
            return None
        return client


def _check(secret_hash: str, secret: str) -> bool:
    try:
        return hasher.verify(secret_hash, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
