"""The value cache behind cache-lookup-value / cache-store-value / cache-remove-value: entries by key, each
with its own duration. `ValueCaches` holds APIM's two caches: the built-in one and an optional external one.
"""

from __future__ import annotations

import copy
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

Clock = Callable[[], float]

_MISSING = object()
_IMMUTABLE = (str, int, float, bool, bytes, type(None))


class ValueCache(Protocol):
    async def get(self, key: str) -> tuple[bool, Any]:
        """(True, value) on a hit, (False, None) on a miss or an expired entry."""
        ...

    async def set(self, key: str, value: Any, duration: float) -> None: ...

    async def remove(self, key: str) -> None: ...


class InMemoryValueCache:
    """APIM's built-in cache: volatile, per service, least recently used entries go first when full.

    Values are copied in and out (APIM serialises them), so a cached JObject changed by a later
    expression does not change what the next request reads."""

    def __init__(self, now: Clock = time.time, *, max_entries: int = 100_000) -> None:
        self._now = now
        self._max = max_entries
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()

    async def get(self, key: str) -> tuple[bool, Any]:
        found = self._entries.get(key, _MISSING)
        if found is _MISSING:
            return False, None
        expires, value = found  # type: ignore[misc]
        if expires <= self._now():
            del self._entries[key]
            return False, None
        self._entries.move_to_end(key)
        return True, _copy(value)

    async def set(self, key: str, value: Any, duration: float) -> None:
        if duration <= 0:
            self._entries.pop(key, None)
            return
        self._entries[key] = (self._now() + duration, _copy(value))
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    async def remove(self, key: str) -> None:
        self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)


def _copy(value: Any) -> Any:
    return value if isinstance(value, _IMMUTABLE) else copy.deepcopy(value)


@dataclass(frozen=True)
class ValueCaches:
    """The caches a service has: `internal` always, `external` when a Redis-compatible cache is configured."""

    internal: ValueCache
    external: ValueCache | None = None

    def select(self, caching_type: str) -> ValueCache | None:
        """The cache a policy's `caching-type` names; None for `external` when no external cache exists."""
        if caching_type == "internal":
            return self.internal
        if caching_type == "external":
            return self.external
        return self.external if self.external is not None else self.internal  # prefer-external
