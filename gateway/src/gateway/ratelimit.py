"""Rate limits (the `limits` library, in memory: one gateway process owns its counters).

Proxied calls: a fixed window per API client. The token endpoint: a moving window per client id
+ address, stricter, since it guards argon2 work.

The stock MemoryStorage locks every key and restarts an expiry thread every 10 ms while traffic
flows; measured, that cost a third of the gateway's throughput. Every hit here happens on the one
event-loop thread, so `LoopMemoryStorage` counts fixed windows without locks or threads and drops
stale keys in `sweep()`, which the gateway calls on its refresh tick.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from billing_shared.errors import Problem


class LoopMemoryStorage(MemoryStorage):
    """MemoryStorage whose fixed-window counters are touched by one thread only."""

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        if self.expirations.get(key, 0) <= now:
            self.storage[key] = amount
            self.expirations[key] = now + expiry
            return amount
        value = self.storage[key] + amount
        self.storage[key] = value
        return value

    def sweep(self) -> None:
        now = time.time()
        for key in [k for k, at in self.expirations.items() if at <= now]:
            self.storage.pop(key, None)
            self.expirations.pop(key, None)


class RateLimits:
    def __init__(self, client_rate: str, token_rate: str) -> None:
        self.storage = LoopMemoryStorage()
        self._client_item: RateLimitItem = parse(client_rate)
        self._token_item: RateLimitItem = parse(token_rate)
        self._fixed = FixedWindowRateLimiter(self.storage)
        self._moving = MovingWindowRateLimiter(self.storage)

    def hit_client(self, client_id: str) -> None:
        if not self._fixed.hit(self._client_item, "client", client_id):
            reset = self._fixed.get_window_stats(self._client_item, "client", client_id).reset_time
            raise _too_many(
                f"Rate limit of {self._client_item} for API client '{client_id}' exceeded.", reset
            )

    def hit_token(self, client_id: str, remote: str) -> None:
        if not self._moving.hit(self._token_item, "token", client_id, remote):
            reset = self._moving.get_window_stats(self._token_item, "token", client_id, remote).reset_time
            raise _too_many(f"Too many token requests ({self._token_item}); slow down.", reset)


def _too_many(detail: str, reset_time: float) -> Problem:
    retry_after = max(1, math.ceil(reset_time - time.time()))
    return Problem(429, f"{detail} Retry after {retry_after} s.", headers={"Retry-After": str(retry_after)})
