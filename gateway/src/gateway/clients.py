"""API clients in memory: the token endpoint's lookups and the proxy's "is this client disabled?".

The DB is read at start and every refresh interval; an unknown id costs one point lookup, at most
`miss_lookups_per_second` of them so made-up ids can't turn into a DB load. Secrets are checked
with argon2 in a worker thread.
"""

from __future__ import annotations

import asyncio
import time

from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gateway.store import ApiClient, Store, hasher

# Checked against when the id is unknown, so a wrong id costs as long as a wrong secret.
_DUMMY_HASH = hasher.hash("not-a-secret")


class ClientDirectory:
    def __init__(self, store: Store, miss_lookups_per_second: int = 20) -> None:
        self._store = store
        self._clients: dict[str, ApiClient] = {}
        self.disabled: frozenset[str] = frozenset()
        self._miss_budget = miss_lookups_per_second
        self._miss_window = 0
        self._misses = 0
        self._lock = asyncio.Lock()

    def replace(self, clients: list[ApiClient]) -> None:
        self._clients = {c.id: c for c in clients}
        self.disabled = frozenset(c.id for c in clients if c.disabled)

    async def reload(self) -> None:
        async with self._lock:
            clients = await asyncio.get_running_loop().run_in_executor(None, self._store.list_clients)
            self.replace(clients)

    async def get(self, client_id: str) -> ApiClient | None:
        client = self._clients.get(client_id)
        if client is None and self._may_look_up():
            loop = asyncio.get_running_loop()
            client = await loop.run_in_executor(None, self._store.get_client, client_id)
            if client is not None:
                self._clients[client.id] = client
        return client

    def _may_look_up(self) -> bool:
        window = int(time.monotonic())
        if window != self._miss_window:
            self._miss_window, self._misses = window, 0
        self._misses += 1
        return self._misses <= self._miss_budget

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
