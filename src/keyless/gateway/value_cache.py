"""The value cache behind cache-lookup-value / cache-store-value / cache-remove-value: entries by key, each
with its own duration. `ValueCaches` holds APIM's two caches: the built-in one (`InMemoryValueCache`) and an
optional external one (`RedisValueCache`, for a scale-out deployment).
"""

from __future__ import annotations

import base64
import copy
import json
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


class RedisValueCache:
    """APIM's external cache in a Redis-compatible server (`caching-type` external / prefer-external).

    Values are stored as JSON with their type kept, so a string comes back a string and an int an int; a
    value JSON cannot hold (an object of the expression model) is refused rather than stored half."""

    def __init__(self, connection: Any, *, prefix: str = "keyless:cache:") -> None:
        self._redis = connection  # counters_redis.RedisConnection: `await execute(*args)`
        self._prefix = prefix

    async def get(self, key: str) -> tuple[bool, Any]:
        data = await self._redis.execute("GET", self._prefix + key)
        if data is None:
            return False, None
        return True, _decode(json.loads(data))

    async def set(self, key: str, value: Any, duration: float) -> None:
        if duration <= 0:
            await self.remove(key)
            return
        data = json.dumps(_encode(value), separators=(",", ":"))
        await self._redis.execute("SET", self._prefix + key, data, "PX", max(1, round(duration * 1000)))

    async def remove(self, key: str) -> None:
        await self._redis.execute("DEL", self._prefix + key)


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"v": value}
    if isinstance(value, bytes):
        return {"b": base64.b64encode(value).decode()}
    if isinstance(value, (list, tuple)):
        return {"l": [_encode(v) for v in value]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"d": {k: _encode(v) for k, v in value.items()}}
    raise TypeError(f"a value of type {type(value).__name__} cannot be stored in the external cache")


def _decode(doc: Any) -> Any:
    if "v" in doc:
        return doc["v"]
    if "b" in doc:
        return base64.b64decode(doc["b"])
    if "l" in doc:
        return [_decode(v) for v in doc["l"]]
    return {k: _decode(v) for k, v in doc["d"].items()}
