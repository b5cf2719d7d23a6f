"""Redis: optional at run time (without REDIS_URL an in-process cache stands in), and never
allowed to slow a request down.

On the request path (response cache, rate-limit synchronisation) every call goes through
`RequestRedis`: bounded by `redis_timeout_seconds` and behind a circuit breaker, so a Redis
that is gone answers "skip" at once and a hung one (SIGSTOP, a full network buffer) costs a
request at most that timeout until the breaker opens, then nothing. Operations (`cache
clear`, /health's own check) use a plain client with a longer timeout.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from redis import Redis
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from openpolicy.config import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis as AsyncRedis

    from openpolicy.breaker import CircuitBreaker

# Every Redis key OpenPolicy writes starts with this, so `openpolicy cache clear` can delete
# ours and nothing else on a shared Redis.
KEY_PREFIX = "openpolicy:"

OPERATIONS_TIMEOUT_SECONDS = 2.0
PROBE_TIMEOUT_SECONDS = 0.5

# What a Redis that is down, hung or refusing raises (redis-py's TimeoutError and
# ConnectionError are RedisErrors; a socket error may escape as OSError).
REDIS_FAILURES: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)

T = TypeVar("T")


def redis_client(
    settings: Settings, *, timeout: float = OPERATIONS_TIMEOUT_SECONDS
) -> Redis | None:
    """A blocking Redis client for REDIS_URL, or None when Redis is not configured."""
    if settings.redis_url is None:
        return None
    return Redis.from_url(
        settings.redis_url.get_secret_value(),
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        health_check_interval=30,
    )


def async_redis_client(settings: Settings) -> AsyncRedis | None:
    """The request path's client: connects and reads within `redis_timeout_seconds`."""
    if settings.redis_url is None:
        return None
    from redis.asyncio import Redis as AsyncRedis

    return AsyncRedis.from_url(
        settings.redis_url.get_secret_value(),
        socket_connect_timeout=settings.redis_timeout_seconds,
        socket_timeout=settings.redis_timeout_seconds,
    )


def redis_probe(settings: Settings) -> Callable[[], None]:
    """The breaker's probe: one PING on a connection of its own."""

    def probe() -> None:
        client = redis_client(settings, timeout=PROBE_TIMEOUT_SECONDS)
        assert client is not None
        try:
            client.ping()
        finally:
            client.close()

    return probe


class RedisSkippedError(Exception):
    """Redis was not asked (circuit open) or did not answer in time: go on without it.
    `timed_out`: the command was sent and may have run (do not send it again)."""

    def __init__(self, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.timed_out = timed_out


class RequestRedis:
    """The async client behind the Redis breaker, for code on the request path."""

    def __init__(self, client: AsyncRedis, breaker: CircuitBreaker) -> None:
        self.client = client
        self.breaker = breaker

    async def run(self, call: Callable[[AsyncRedis], Awaitable[T]]) -> T:
        """`await call(client)`, or RedisSkippedError when Redis cannot answer now."""
        if not self.breaker.allow():
            raise RedisSkippedError("circuit open")
        try:
            result = await call(self.client)
        except REDIS_FAILURES as exc:
            self.breaker.failed(exc)
            timed_out = isinstance(exc, TimeoutError | RedisTimeoutError)
            raise RedisSkippedError(str(exc), timed_out=timed_out) from exc
        self.breaker.succeeded()
        return result

    async def aclose(self) -> None:
        await self.client.aclose()
