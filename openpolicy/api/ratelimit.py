"""Per-client rate limits: counted in the process, shared across replicas through Redis.

Fixed one-minute windows. Far from its limit, a request is counted and decided in memory (no
Redis round trip on the request path): a background task adds each identity's new hits to
its Redis counter every `SYNC_SECONDS` (one pipelined INCRBY + EXPIRE per identity) and
keeps the total Redis answers, which includes every replica's hits. Close to the limit
(within a tenth of it, or 10 requests), the request is counted in Redis before it is
decided, so the limit holds exactly across replicas where it matters; far from it, a client
can be ahead of what one replica knows by what the others admitted in one period.

Without Redis, or while Redis is down or hung (its circuit open), each process counts
alone: the limit then holds per process. A broken Redis never slows a request down by more
than `redis_timeout_seconds`, and not at all once its circuit is open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from typing import TYPE_CHECKING, Any

from openpolicy.cache import KEY_PREFIX as SHARED_PREFIX
from openpolicy.cache import RedisSkippedError

if TYPE_CHECKING:
    from openpolicy.cache import RequestRedis

log = logging.getLogger("openpolicy.api.ratelimit")

WINDOW_SECONDS = 60
KEY_PREFIX = f"{SHARED_PREFIX}ratelimit:"
SYNC_SECONDS = 0.2
MAX_IDENTITIES = 200_000  # a flood of new addresses cannot grow the table without bound


class Decision:
    """The outcome for one request, and its `RateLimit-*` headers."""

    __slots__ = ("allowed", "limit", "remaining", "reset_seconds")

    def __init__(self, allowed: bool, limit: int, remaining: int, reset_seconds: int) -> None:
        self.allowed = allowed
        self.limit = limit
        self.remaining = remaining
        self.reset_seconds = reset_seconds

    def headers(self) -> list[tuple[bytes, bytes]]:
        limit, policy = _limit_headers(self.limit)
        return [
            limit,
            (b"ratelimit-remaining", b"%d" % self.remaining),
            (b"ratelimit-reset", b"%d" % self.reset_seconds),
            policy,
        ]


_LIMIT_HEADERS: dict[int, tuple[tuple[bytes, bytes], tuple[bytes, bytes]]] = {}


def _limit_headers(limit: int) -> tuple[tuple[bytes, bytes], tuple[bytes, bytes]]:
    """The two headers that depend only on the limit, built once per limit."""
    cached = _LIMIT_HEADERS.get(limit)
    if cached is None:
        if len(_LIMIT_HEADERS) > 1000:
            _LIMIT_HEADERS.clear()
        cached = _LIMIT_HEADERS[limit] = (
            (b"ratelimit-limit", b"%d" % limit),
            (b"ratelimit-policy", b"%d;w=%d" % (limit, WINDOW_SECONDS)),
        )
    return cached


SHARED_MARGIN = 10


class _Count:
    """One identity's hits in one window: `shared` is the highest total Redis reported
    (every replica's hits), `sending` our hits on their way there, `pending` our hits not
    sent yet. Their sum never undercounts; it may overcount for the length of a round trip."""

    __slots__ = ("pending", "sending", "shared", "window")

    def __init__(self, window: int) -> None:
        self.window = window
        self.shared = 0
        self.sending = 0
        self.pending = 0

    @property
    def total(self) -> int:
        return self.shared + self.sending + self.pending


class RateLimiter:
    """Count requests per identity (`ip:…`, `key:…`, `web:…`) against a per-minute limit."""

    def __init__(self, redis: RequestRedis | None, *, clock: Any = time.time) -> None:
        self.redis = redis
        self.clock = clock
        self._counts: dict[str, _Count] = {}
        self._task: asyncio.Task[None] | None = None

    async def hit(self, identity: str, limit: int) -> Decision:
        """Count one request now and decide it: in memory far from the limit, through
        Redis close to it (unless Redis is unavailable)."""
        decided = self.hit_in_memory(identity, limit)
        return decided if decided is not None else await self.decide_shared(identity, limit)

    async def decide_shared(self, identity: str, limit: int) -> Decision:
        """After `hit_in_memory` answered None: add the hit to Redis, then decide."""
        count = self._counts[identity]
        await self._send(identity, count)
        total = count.total
        reset = max(1, math.ceil((count.window + 1) * WINDOW_SECONDS - self.clock()))
        return Decision(total <= limit, limit, max(0, limit - total), reset)

    def hit_in_memory(self, identity: str, limit: int) -> Decision | None:
        """`hit()` without a coroutine when memory can decide (the steady path); None when
        the request must be counted in Redis first (it is counted here already)."""
        now = self.clock()
        window = int(now // WINDOW_SECONDS)
        count = self._counts.get(identity)
        if count is None or count.window != window:
            count = self._count(identity, window)
        count.pending += 1
        total = count.shared + count.sending + count.pending
        if (
            self.redis is not None
            and count.shared <= limit
            and total + max(SHARED_MARGIN, limit // 10) > limit
            and self.redis.breaker.closed
        ):
            return None
        reset = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
        return Decision(total <= limit, limit, max(0, limit - total), reset)

    def exceeded(self, identity: str, limit: int) -> bool:
        """Whether `identity` is already past `limit` this window (counts nothing)."""
        count = self._counts.get(identity)
        if count is None or count.window != int(self.clock() // WINDOW_SECONDS):
            return False
        return count.total >= limit

    def _count(self, identity: str, window: int) -> _Count:
        count = self._counts.get(identity)
        if count is None or count.window != window:
            if count is None and len(self._counts) >= MAX_IDENTITIES:
                self._prune(window)
            count = self._counts[identity] = _Count(window)
        return count

    def _prune(self, window: int) -> None:
        self._counts = {k: c for k, c in self._counts.items() if c.window == window}
        if len(self._counts) >= MAX_IDENTITIES:  # one window's worth: keep the busiest half
            busiest = sorted(self._counts.items(), key=lambda item: -item[1].total)
            self._counts = dict(busiest[: MAX_IDENTITIES // 2])

    async def _send(self, identity: str, count: _Count) -> bool:
        """Add `identity`'s pending hits to its Redis counter now."""
        return await self._send_batch([(identity, count)])

    async def _send_batch(self, batch: list[tuple[str, _Count]]) -> bool:
        assert self.redis is not None
        sent = []
        for identity, count in batch:
            sent.append((identity, count, count.pending))
            count.sending += count.pending
            count.pending = 0

        async def send(client: Any) -> list[Any]:
            async with client.pipeline(transaction=False) as pipe:
                for identity, count, hits in sent:
                    key = f"{KEY_PREFIX}{identity}:{count.window}"
                    pipe.incrby(key, hits)
                    pipe.expire(key, WINDOW_SECONDS + 5)
                return list(await pipe.execute())

        try:
            results = await self.redis.run(send)
        except RedisSkippedError as skipped:
            for _, count, hits in sent:
                count.sending -= hits
                if skipped.timed_out:  # probably counted there: never count them twice
                    count.shared += hits
                else:  # not sent: counted here alone until Redis answers again
                    count.pending += hits
            return False
        for (_, count, hits), total in zip(sent, results[::2], strict=True):
            count.sending -= hits
            count.shared = max(count.shared, int(total))
        return True

    # --- synchronisation with Redis --------------------------------------------------------

    async def sync(self) -> bool:
        """Send the hits counted since the last call; False when Redis could not be asked."""
        window = int(self.clock() // WINDOW_SECONDS)
        if len(self._counts) > MAX_IDENTITIES // 2:
            self._prune(window)
        if self.redis is None:
            return False
        batch = [(k, c) for k, c in self._counts.items() if c.window == window and c.pending]
        if not batch:
            return True
        return await self._send_batch(batch)

    def start(self, period: float = SYNC_SECONDS) -> None:
        """Synchronise every `period` seconds on the running event loop."""
        if self.redis is None or self._task is not None:
            return
        self._task = asyncio.get_running_loop().create_task(self._run(period))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await self.sync()

    async def _run(self, period: float) -> None:
        while True:
            await asyncio.sleep(period)
            try:
                await self.sync()
            except Exception:  # never let the loop die: counting goes on in memory
                log.exception("rate-limit synchronisation failed")
