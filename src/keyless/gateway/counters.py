"""Counters behind rate-limit (sliding windows), quota (fixed periods) and limit-concurrency (in-flight slots).

The store is a small protocol so a scale-out deployment can share counters between gateway processes:
`InMemoryCounters` is the default, `RedisCounters` (in `counters_redis.py`) the shared one. Every store takes a
`now()` function so window tests are deterministic.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

Clock = Callable[[], float]


@dataclass(frozen=True)
class RateDecision:
    """The outcome of one rate-limit check: whether it passed, calls left in the window, seconds to wait."""

    allowed: bool
    remaining: int
    retry_after: int


@dataclass(frozen=True)
class QuotaUsage:
    """What a quota counter holds in the current period; `renews_in` is None for a lifetime quota."""

    calls: int
    kilobytes: float
    renews_in: float | None


class Counters(Protocol):
    async def rate_hit(self, key: str, limit: int, period: float, count: int = 1) -> RateDecision:
        """Check a sliding window and, when `count` more calls fit, record them."""
        ...

    async def rate_peek(self, key: str, limit: int, period: float, count: int = 1) -> RateDecision:
        """Check a sliding window without recording (the call is counted later, after the response)."""
        ...

    async def rate_add(self, key: str, period: float, count: int) -> int:
        """Record calls in a sliding window; returns the calls now in it."""
        ...

    async def quota_usage(self, key: str, period: float, start: float) -> QuotaUsage:
        """The usage in the fixed period containing now; periods are `period` seconds from `start` (epoch s)."""
        ...

    async def quota_add(self, key: str, period: float, start: float, calls: int, kilobytes: float) -> QuotaUsage: ...

    async def try_enter(self, key: str, max_count: int) -> bool:
        """Take one of `max_count` in-flight slots for `key`; False when all are taken."""
        ...

    async def leave(self, key: str) -> None: ...


class _Window:
    """One key's sliding log: (timestamp, calls) pairs, oldest first, and their total."""

    __slots__ = ("entries", "period", "total")

    def __init__(self, period: float) -> None:
        self.entries: deque[tuple[float, int]] = deque()
        self.total = 0
        self.period = period

    def prune(self, now: float, period: float) -> None:
        self.period = max(self.period, period)
        cutoff = now - period
        while self.entries and self.entries[0][0] <= cutoff:
            self.total -= self.entries.popleft()[1]

    def add(self, now: float, count: int) -> None:
        if self.entries and self.entries[-1][0] == now:
            self.entries[-1] = (now, self.entries[-1][1] + count)
        else:
            self.entries.append((now, count))
        self.total += count

    def retry_after(self, now: float, limit: int, period: float, count: int) -> int:
        """Whole seconds until enough old calls leave the window for `count` more to fit."""
        left = self.total
        for stamp, calls in self.entries:
            left -= calls
            if not _exceeded(left, count, limit):
                return max(1, math.ceil(stamp + period - now))
        return max(1, math.ceil(period))  # `count` alone exceeds the limit: a whole window


def _exceeded(used: int, count: int, limit: int) -> bool:
    """A limit already reached refuses even a call that counts nothing; otherwise `count` more must fit."""
    return used >= limit or used + count > limit


class InMemoryCounters:
    """Counters in this process: exact sliding logs, fixed-period quota cells, in-flight slot counts."""

    def __init__(self, now: Clock = time.time, *, sweep_every: int = 10_000) -> None:
        self._now = now
        self._windows: dict[str, _Window] = {}
        # key -> (period index, calls, kilobytes, when the period ends: inf for a lifetime quota)
        self._quotas: dict[str, tuple[int, int, float, float]] = {}
        self._slots: dict[str, int] = {}
        self._ops = 0
        self._sweep_every = sweep_every

    def _window(self, key: str, period: float, now: float) -> _Window:
        self._tick(now)
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window(period)
        window.prune(now, period)
        return window

    def _sweep(self, now: float) -> None:
        for key in [k for k, w in self._windows.items() if not w.entries or w.entries[-1][0] <= now - w.period]:
            del self._windows[key]
        for key in [k for k, cell in self._quotas.items() if cell[3] <= now]:
            del self._quotas[key]

    def _tick(self, now: float) -> None:
        self._ops += 1
        if self._ops % self._sweep_every == 0:
            self._sweep(now)

    async def rate_hit(self, key: str, limit: int, period: float, count: int = 1) -> RateDecision:
        now = self._now()
        window = self._window(key, period, now)
        if _exceeded(window.total, count, limit):
            return RateDecision(False, max(0, limit - window.total), window.retry_after(now, limit, period, count))
        window.add(now, count)
        return RateDecision(True, max(0, limit - window.total), 0)

    async def rate_peek(self, key: str, limit: int, period: float, count: int = 1) -> RateDecision:
        now = self._now()
        window = self._window(key, period, now)
        if _exceeded(window.total, count, limit):
            return RateDecision(False, max(0, limit - window.total), window.retry_after(now, limit, period, count))
        return RateDecision(True, max(0, limit - window.total), 0)

    async def rate_add(self, key: str, period: float, count: int) -> int:
        now = self._now()
        window = self._window(key, period, now)
        window.add(now, count)
        return window.total

    def _period(self, period: float, start: float, now: float) -> tuple[int, float | None]:
        if period <= 0:
            return 0, None
        index = math.floor((now - start) / period)
        return index, start + (index + 1) * period - now

    async def quota_usage(self, key: str, period: float, start: float) -> QuotaUsage:
        index, renews_in = self._period(period, start, self._now())
        cell = self._quotas.get(key)
        if cell is None or cell[0] != index:
            return QuotaUsage(0, 0.0, renews_in)
        return QuotaUsage(cell[1], cell[2], renews_in)

    async def quota_add(self, key: str, period: float, start: float, calls: int, kilobytes: float) -> QuotaUsage:
        now = self._now()
        self._tick(now)
        index, renews_in = self._period(period, start, now)
        cell = self._quotas.get(key)
        if cell is None or cell[0] != index:
            cell = (index, 0, 0.0, math.inf if renews_in is None else now + renews_in)
        cell = (index, cell[1] + calls, cell[2] + kilobytes, cell[3])
        self._quotas[key] = cell
        return QuotaUsage(cell[1], cell[2], renews_in)

    async def try_enter(self, key: str, max_count: int) -> bool:
        taken = self._slots.get(key, 0)
        if taken >= max_count:
            return False
        self._slots[key] = taken + 1
        return True

    async def leave(self, key: str) -> None:
        taken = self._slots.get(key, 0) - 1
        if taken > 0:
            self._slots[key] = taken
        else:
            self._slots.pop(key, None)
