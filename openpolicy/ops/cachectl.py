"""Clearing the shared cache: only OpenPolicy's keys, never the whole Redis database.

Redis may be shared with other applications (or hold rate-limit counters we want to keep),
so `openpolicy cache clear` walks our key prefix with SCAN (non-blocking, unlike KEYS) and
UNLINKs in batches (freed in the background, unlike DEL). FLUSHDB is never used.
"""

from __future__ import annotations

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
