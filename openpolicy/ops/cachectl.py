"""The shared cache from the shell: its state, and clearing only OpenPolicy's keys.

Redis may be shared with other applications (or hold rate-limit counters we want to keep),
so `openpolicy cache clear` walks our key prefix with SCAN (non-blocking, unlike KEYS) and
UNLINKs in batches (freed in the background, unlike DEL). FLUSHDB is never used.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

from openpolicy.cache import KEY_PREFIX
from openpolicy.ops.pg import OpsError, OpsInputError

CACHE_KEY_PREFIX = KEY_PREFIX  # every key the application writes starts with it
BATCH = 500


class CacheError(OpsError):
    title = "Cache error"
    type_slug = "cache-error"


def clear_cache(client: Redis, prefix: str = CACHE_KEY_PREFIX) -> int:
    """Delete every key under `prefix`; returns how many were deleted."""
    if not prefix or prefix in {"*", ":"}:
        raise OpsInputError(f"refusing to clear with prefix {prefix!r}: it would match every key")
    pattern = _escape(prefix) + "*"
    deleted = 0
    batch: list[bytes] = []
    try:
        for key in client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= BATCH:
                deleted += int(client.unlink(*batch))
                batch.clear()
        if batch:
            deleted += int(client.unlink(*batch))
    except RedisError as exc:
        raise CacheError(f"redis: {exc}") from exc
    return deleted


def _escape(prefix: str) -> str:
    """Escape glob characters so the prefix matches literally."""
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in prefix)


def cache_status(client: Redis, prefix: str = CACHE_KEY_PREFIX) -> dict[str, Any]:
    """What `openpolicy cache status` shows: the server answers (and how fast), how many of
    our keys by kind, memory and eviction, and the server's hit ratio since it started."""
    try:
        started = time.perf_counter()
        client.ping()
        ping_ms = (time.perf_counter() - started) * 1000
        info: dict[str, Any] = client.info()
        kinds: Counter[str] = Counter()
        for key in client.scan_iter(match=_escape(prefix) + "*", count=1000):
            rest = key.decode(errors="replace")[len(prefix) :]
            kinds[rest.split(":", 1)[0] if ":" in rest else "(other)"] += 1
        total_keys = int(client.dbsize())
    except RedisError as exc:
        raise CacheError(f"redis: {exc}") from exc
    hits = int(info.get("keyspace_hits", 0))
    misses = int(info.get("keyspace_misses", 0))
    return {
        "ping_ms": round(ping_ms, 2),
        "redis_version": info.get("redis_version"),
        "uptime_seconds": info.get("uptime_in_seconds"),
        "connected_clients": info.get("connected_clients"),
        "keys": sum(kinds.values()),
        "keys_by_kind": dict(sorted(kinds.items())),
        "keys_in_database": total_keys,
        "used_memory_bytes": info.get("used_memory"),
        "maxmemory_bytes": info.get("maxmemory"),
        "maxmemory_policy": info.get("maxmemory_policy"),
        "evicted_keys": info.get("evicted_keys"),
        "hits": hits,
        "misses": misses,
        "hit_ratio": round(hits / (hits + misses), 4) if hits + misses else None,
    }
