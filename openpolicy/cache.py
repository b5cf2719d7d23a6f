"""Redis connection (optional at run time: without REDIS_URL an in-process cache stands in)."""

from __future__ import annotations

from redis import Redis

from openpolicy.config import Settings

# Every Redis key OpenPolicy writes starts with this, so `openpolicy cache clear` can delete
# ours and nothing else on a shared Redis.
KEY_PREFIX = "openpolicy:"


def redis_client(settings: Settings) -> Redis | None:
    """A Redis client for REDIS_URL, or None when Redis is not configured."""
    if settings.redis_url is None:
        return None
    return Redis.from_url(
        settings.redis_url.get_secret_value(),
        socket_connect_timeout=2,
        socket_timeout=2,
        health_check_interval=30,
    )
