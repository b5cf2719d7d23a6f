"""The response cache: rendered bodies keyed by data version and canonical URL.

Redis when configured (shared by every replica), otherwise a bounded in-process LRU. Keys
start with the data version, so an ingest never has to purge anything: the next request
simply asks for a key that does not exist yet, and old entries expire on their TTL. Redis
being down, hung or slow is a miss, never an error, and never a wait longer than
`redis_timeout_seconds` (its circuit then skips it altogether; `openpolicy.cache`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import OrderedDict
from typing import Protocol

from prometheus_client import Counter
from redis import Redis
from redis.exceptions import RedisError

from openpolicy.cache import KEY_PREFIX as SHARED_PREFIX
from openpolicy.cache import RedisSkippedError, RequestRedis
from openpolicy.ops.metrics import REGISTRY

log = logging.getLogger("openpolicy.api.cache")

CACHE_REQUESTS = Counter(
    "cache_requests_total",
    "Response-cache lookups by result (hit or miss).",
    ["result"],
    registry=REGISTRY,
)
_HIT = CACHE_REQUESTS.labels("hit")
_MISS = CACHE_REQUESTS.labels("miss")

KEY_PREFIX = f"{SHARED_PREFIX}api:v1:"
MAX_BODY_BYTES = 2_000_000


class ResponseCache(Protocol):
    """`get`/`set` run on the event loop (the API's async path); `clear` in a thread."""

    backend: str

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, body: bytes) -> None: ...

    def clear(self) -> int: ...


class RedisResponseCache:
    """Shared by every replica; entries expire after `ttl` seconds."""

    backend = "redis"

    def __init__(self, client: Redis, request_redis: RequestRedis, ttl: int) -> None:
        self.client = client
        self.redis = request_redis
        self.ttl = ttl

    async def get(self, key: str) -> bytes | None:
        full_key = KEY_PREFIX + key
        try:
            value = await self.redis.run(lambda redis: redis.get(full_key))
        except RedisSkippedError:
            _MISS.inc()
            return None
        if value is None:
            _MISS.inc()
            return None
        _HIT.inc()
        return value if isinstance(value, bytes) else bytes(value, "utf-8")

    async def set(self, key: str, body: bytes) -> None:
        if len(body) > MAX_BODY_BYTES:
            return
        full_key = KEY_PREFIX + key
        with contextlib.suppress(RedisSkippedError):
            await self.redis.run(lambda redis: redis.set(full_key, body, ex=self.ttl))

    def clear(self) -> int:
        deleted = 0
        try:
            batch: list[bytes] = []
            for key in self.client.scan_iter(match=KEY_PREFIX + "*", count=1000):
                batch.append(key)
                if len(batch) >= 500:
                    deleted += int(self.client.unlink(*batch))
                    batch.clear()
            if batch:
                deleted += int(self.client.unlink(*batch))
        except RedisError as exc:
            log.warning("response cache unavailable: %s", exc)
        return deleted


class MemoryResponseCache:
    """This process only: a thread-safe LRU of at most `max_entries` bodies."""

    backend = "memory"

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    async def get(self, key: str) -> bytes | None:
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
        (_HIT if body is not None else _MISS).inc()
        return body

    async def set(self, key: str, body: bytes) -> None:
        if len(body) > MAX_BODY_BYTES:
            return
        with self._lock:
            self._entries[key] = body
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
        return count


class NoCache:
    """API_CACHE_ENABLED=false: every request renders (benchmarks of the raw path)."""

    backend = "disabled"

    async def get(self, key: str) -> bytes | None:
        return None

    async def set(self, key: str, body: bytes) -> None:
        return None

    def clear(self) -> int:
        return 0
