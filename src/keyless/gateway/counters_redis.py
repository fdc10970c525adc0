"""Rate-limit, quota and concurrency counters in Redis, shared by every gateway process of a scale-out
deployment. Each operation is one Lua script (atomic on the server); the time comes from the caller's
`now()`, so windows behave exactly as `InMemoryCounters` and tests stay deterministic.

The client is redis-py's asyncio one.
"""

from __future__ import annotations

import math
import time
import uuid
from typing import Any

import redis.asyncio as redis_asyncio
from redis import exceptions as redis_exceptions

from keyless.gateway.counters import Clock, QuotaUsage, RateDecision


class RedisError(Exception):
    """An error reply from Redis (or a broken connection)."""


class RedisPool:
    """redis-py's asyncio client (its own connection pool) behind the one call counters and caches make."""

    def __init__(self, url: str = "redis://127.0.0.1:6379/0", size: int = 4) -> None:
        # A blocking pool: a burst of requests waits for one of `size` connections instead of failing.
        pool = redis_asyncio.BlockingConnectionPool.from_url(url, max_connections=size, decode_responses=True)
        self._client = redis_asyncio.Redis(connection_pool=pool)
        # Replies as Redis sends them (SCAN's cursor a string, EVAL's tables lists), not redis-py's parsed forms.
        self._client.response_callbacks.clear()

    async def execute(self, *args: object) -> Any:
        try:
            return await self._client.execute_command(*args)
        except redis_exceptions.ResponseError as error:
            raise RedisError(str(error)) from None
        except (redis_exceptions.ConnectionError, redis_exceptions.TimeoutError, OSError) as error:
            raise RedisError(f"connection to Redis lost: {type(error).__name__}") from None

    async def close(self) -> None:
        await self._client.aclose()


# One client per caller is all the counters and the external value cache need.
RedisConnection = RedisPool


# A sliding log per key: a sorted set of "<id>:<calls>" scored by time, and "<key>:n" holding their total.
# ARGV: now, period, limit, count, mode (hit | peek | add), member id. Returns {allowed, remaining|total, retry}.
_RATE = """
local key, total_key = KEYS[1], KEYS[1] .. ':n'
local now, period, limit, count = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local mode = ARGV[5]
local cutoff = now - period
for _, member in ipairs(redis.call('ZRANGEBYSCORE', key, '-inf', cutoff)) do
  redis.call('DECRBY', total_key, tonumber(string.match(member, ':(%d+)$')))
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', cutoff)
local total = tonumber(redis.call('GET', total_key) or '0')
local ttl = math.ceil(period * 1000) + 1000
local fits = total < limit and total + count <= limit
if mode == 'add' or (mode == 'hit' and fits) then
  redis.call('ZADD', key, now, ARGV[6] .. ':' .. count)
  total = redis.call('INCRBY', total_key, count)
  redis.call('PEXPIRE', key, ttl)
  redis.call('PEXPIRE', total_key, ttl)
  return {1, total, 0}
end
if fits then
  return {1, total, 0}
end
local freed = 0
local entries = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
for i = 1, #entries, 2 do
  freed = freed + tonumber(string.match(entries[i], ':(%d+)$'))
  local left = total - freed
  if left < limit and left + count <= limit then
    return {0, total, math.max(1, math.ceil(tonumber(entries[i + 1]) + period - now))}
  end
end
return {0, total, math.max(1, math.ceil(period))}
"""

# A quota cell per (key, period index): a hash of calls and kilobytes that expires when its period ends.
# ARGV: calls, kilobytes, ttl ms (0: never). Returns {calls, kilobytes as text}.
_QUOTA_ADD = """
local calls = redis.call('HINCRBY', KEYS[1], 'calls', ARGV[1])
local kb = redis.call('HINCRBYFLOAT', KEYS[1], 'kb', ARGV[2])
if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {calls, kb}
"""

# In-flight slots: ARGV max_count, ttl ms (a crashed process's slots do not leak forever).
_ENTER = """
local taken = tonumber(redis.call('GET', KEYS[1]) or '0')
if taken >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""
_LEAVE = """
local taken = redis.call('DECR', KEYS[1])
if taken <= 0 then redis.call('DEL', KEYS[1]) end
return taken
"""


class RedisCounters:
    """`Counters` in Redis; keys live under `prefix` (several deployments can share one Redis)."""

    SLOT_TTL_MS = 600_000  # longer than any request (forward-request's default timeout is 300 s)

    def __init__(
        self, connection: RedisConnection | RedisPool, now: Clock = time.time, *, prefix: str = "keyless:counters:"
    ):
        self._redis = connection
        self._now = now
        self._prefix = prefix

    async def _rate(self, key: str, limit: int, period: float, count: int, mode: str) -> list[int]:
        reply = await self._redis.execute(
            "EVAL",
            _RATE,
            1,
            self._prefix + "rate:" + key,
            repr(self._now()),
            period,
            limit,
            count,
            mode,
            uuid.uuid4().hex,
        )
        return [int(x) for x in reply]

    async def rate_hit(self, key: str, limit: int, period: float, count: int = 1) -> RateDecision:
        allowed, total, retry = await self._rate(key, limit, period, count, "hit")
        return RateDecision(bool(allowed), max(0, limit - total), retry)

    async def rate_peek(self, key: str, limit: int, period: float, count: int = 1) -> RateDecision:
        allowed, total, retry = await self._rate(key, limit, period, count, "peek")
        return RateDecision(bool(allowed), max(0, limit - total), retry)

    async def rate_add(self, key: str, period: float, count: int) -> int:
        return (await self._rate(key, 0, period, count, "add"))[1]

    def _cell(self, key: str, period: float, start: float) -> tuple[str, float | None]:
        if period <= 0:
            return f"{self._prefix}quota:{key}:life", None
        now = self._now()
        index = math.floor((now - start) / period)
        return f"{self._prefix}quota:{key}:{index}", start + (index + 1) * period - now

    async def quota_usage(self, key: str, period: float, start: float) -> QuotaUsage:
        cell, renews_in = self._cell(key, period, start)
        calls, kb = await self._redis.execute("HMGET", cell, "calls", "kb")
        return QuotaUsage(int(calls or 0), float(kb or 0), renews_in)

    async def quota_add(self, key: str, period: float, start: float, calls: int, kilobytes: float) -> QuotaUsage:
        cell, renews_in = self._cell(key, period, start)
        ttl = 0 if renews_in is None else math.ceil(renews_in * 1000) + 1000
        total_calls, total_kb = await self._redis.execute("EVAL", _QUOTA_ADD, 1, cell, calls, repr(kilobytes), ttl)
        return QuotaUsage(int(total_calls), float(total_kb), renews_in)

    async def try_enter(self, key: str, max_count: int) -> bool:
        slot = self._prefix + "slots:" + key
        return bool(await self._redis.execute("EVAL", _ENTER, 1, slot, max_count, self.SLOT_TTL_MS))

    async def leave(self, key: str) -> None:
        await self._redis.execute("EVAL", _LEAVE, 1, self._prefix + "slots:" + key)
