"""Rate limits (the `limits` library, in memory: one gateway process owns its counters).

Proxied calls: a fixed window per API client (O(1) per hit, which matters at 20k/s). The token
endpoint: a moving window per client id + address, stricter, since it guards argon2 work.
"""

from __future__ import annotations

import math
import time

from billing_shared.errors import Problem
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter


class RateLimits:
    def __init__(self, client_rate: str, token_rate: str) -> None:
        storage = MemoryStorage()
        self._client_item: RateLimitItem = parse(client_rate)
        self._token_item: RateLimitItem = parse(token_rate)
        self._fixed = FixedWindowRateLimiter(storage)
        self._moving = MovingWindowRateLimiter(storage)

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
