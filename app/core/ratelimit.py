"""Per-token rate limiting: each caller may make `PRIVACY_RATE_LIMIT` calls.

A caller is the token's `(tenant, sub)` — the controller and the calling system or
user — never an address or anything else about a person. Each limit ("600/minute") is
a sliding window: at most 600 calls in any 60 seconds. A refused call is not counted,
so a client that retries too early does not push its own wait further out.

The counts live in this process (pyrate-limiter's in-memory sliding-window log):
each `serve` worker and each replica counts on its own, so with N of them a caller
may make up to N times the limit. A limit shared by every replica belongs in the
gateway in front of them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyrate_limiter import InMemoryBucket

Caller = tuple[str, str]


class RateLimiter:
    """The calls each caller made in the last window of every configured limit."""

    def __init__(
        self, limits: list[tuple[int, int]], *, clock: Callable[[], float] = time.monotonic
    ):
        """`limits` as (calls, seconds) pairs; `clock` in seconds (monotonic: a wall
        clock set back would otherwise refuse everyone until it caught up)."""
        if not limits:
            raise ValueError("at least one limit")
        # Imported by a process that limits, not by starting the app: with the limit off
        # (a gateway in front limits) pyrate-limiter, with its sqlite3 and
        # multiprocessing imports (2.5 MB), is never loaded.
        from pyrate_limiter import Decision, InMemoryBucket, Rate, RateItem, SlidingWindowLog

        self.rates = [Rate(calls, seconds * 1000) for calls, seconds in limits]
        self._new_bucket = lambda: InMemoryBucket(self.rates, SlidingWindowLog())
        self._item, self._decision = RateItem, Decision
        self.clock = clock
        self._window_ms = max(rate.interval for rate in self.rates)
        self._buckets: dict[Caller, InMemoryBucket] = {}
        self._next_sweep_ms = 0

    def hit(self, tenant: str, sub: str) -> int | None:
        """Count one call of the caller. None: within its limits. Otherwise the whole
        seconds until it would be (at least 1), for `Retry-After`; the call is not counted.
        """
        now_ms = int(self.clock() * 1000)
        self._sweep(now_ms)
        caller = (tenant, sub)
        bucket = self._buckets.get(caller)
        if bucket is None:
            bucket = self._buckets[caller] = self._new_bucket()
        else:
            bucket.leak(now_ms)  # the log keeps only the longest window
        decision = bucket.put_decision(self._item("call", now_ms))
        assert isinstance(decision, self._decision)  # an in-memory bucket answers at once
        if decision.allowed:
            return None
        wait_ms = decision.retry_after_ms
        return max(1, math.ceil((self._window_ms if wait_ms is None else wait_ms) / 1000))

    def _sweep(self, now_ms: int) -> None:
        """Once per window, forget callers with no call in it (memory stays bounded by
        the callers of the last window)."""
        if now_ms < self._next_sweep_ms:
            return
        self._next_sweep_ms = now_ms + self._window_ms
        for caller, bucket in list(self._buckets.items()):
            bucket.leak(now_ms)
            if bucket.count() == 0:
                del self._buckets[caller]

    def callers(self) -> int:
        """How many callers are being counted now."""
        return len(self._buckets)
