"""Per-client rate limits, enforced across replicas through Redis.

Fixed one-minute windows: one pipelined INCR+EXPIRE per request on a key named after the
client and the window, so every replica counts into the same number. Without Redis each
process counts alone (a single-machine install). Redis failing lets requests through: a
broken limiter must not take the API down, and /metrics shows Redis health.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from redis.asyncio import Redis as AsyncRedis
from redis.exceptions import RedisError

from openpolicy.cache import KEY_PREFIX as SHARED_PREFIX

log = logging.getLogger("openpolicy.api.ratelimit")

WINDOW_SECONDS = 60
KEY_PREFIX = f"{SHARED_PREFIX}ratelimit:"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset_seconds).encode()),
            (b"ratelimit-policy", f"{self.limit};w={WINDOW_SECONDS}".encode()),
        ]


class RateLimiter:
    """Count a request for `identity`; decide whether it is within `limit` per minute."""

    def __init__(self, redis: AsyncRedis | None) -> None:
        self.redis = redis
        self._local: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    async def hit(self, identity: str, limit: int) -> Decision:
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        reset = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
        count = await self._count(identity, window)
        if count is None:  # Redis unavailable: fail open
            return Decision(True, limit, limit, reset)
        return Decision(count <= limit, limit, max(0, limit - count), reset)

    async def _count(self, identity: str, window: int) -> int | None:
        if self.redis is None:
            return self._count_locally(identity, window)
        key = f"{KEY_PREFIX}{identity}:{window}"
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.incr(key)
                pipe.expire(key, WINDOW_SECONDS + 5)
                count, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("rate limiter: redis unavailable (%s); letting requests through", exc)
            return None
        return int(count)

    def _count_locally(self, identity: str, window: int) -> int:
        with self._lock:
            if len(self._local) > 100_000:  # drop finished windows
                self._local = {k: v for k, v in self._local.items() if k[1] >= window}
            count = self._local.get((identity, window), 0) + 1
            self._local[(identity, window)] = count
            return count
