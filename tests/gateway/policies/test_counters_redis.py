"""The same counter scenarios against the in-memory store and Redis (127.0.0.1:6379; skipped when absent):
a scale-out deployment must throttle exactly as one process does."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from keyless.gateway.counters import InMemoryCounters, QuotaUsage
from keyless.gateway.counters_redis import RedisConnection, RedisCounters, RedisError

sys.path.insert(0, str(Path(__file__).parent))
from _traffic_doubles import Clock

REDIS_URL = "redis://127.0.0.1:6379/0"


async def _redis_reachable() -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", 6379), 0.5)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Any, Clock]]:
    clock = Clock(1_000.0)
    if request.param == "memory":
        yield InMemoryCounters(clock), clock
        return
    if not await _redis_reachable():
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    connection = RedisConnection(REDIS_URL)
    prefix = f"keyless-test:{uuid.uuid4().hex}:"
    yield RedisCounters(connection, clock, prefix=prefix), clock
    cursor = "0"
    while True:
        cursor, keys = await connection.execute("SCAN", cursor, "MATCH", prefix + "*", "COUNT", 1000)
        if keys:
            await connection.execute("DEL", *keys)
        if cursor == "0":
            break
    await connection.close()


async def test_sliding_window(store: tuple[Any, Clock]) -> None:
    counters, clock = store
    for t in (1000.0, 1001.0, 1002.0):
        clock.t = t
        assert (await counters.rate_hit("k", 3, 10)).allowed
    clock.t = 1003.0
    refused = await counters.rate_hit("k", 3, 10)
    assert (refused.allowed, refused.remaining, refused.retry_after) == (False, 0, 7)
    clock.t = 1010.0
    again = await counters.rate_hit("k", 3, 10)
    assert again.allowed and again.remaining == 0
    clock.t = 1010.5
    assert (await counters.rate_hit("k", 3, 10)).retry_after == 1


async def test_counts_peek_and_add(store: tuple[Any, Clock]) -> None:
    counters, _ = store
    assert (await counters.rate_hit("a", 10, 60, 4)).remaining == 6
    assert (await counters.rate_hit("a", 10, 60, 4)).remaining == 2
    assert not (await counters.rate_hit("a", 10, 60, 4)).allowed
    assert (await counters.rate_peek("b", 1, 10)).allowed
    assert await counters.rate_add("b", 10, 1) == 1
    peek = await counters.rate_peek("b", 1, 10)
    assert not peek.allowed and peek.retry_after == 10


async def test_a_reached_limit_refuses_even_a_zero_count(store: tuple[Any, Clock]) -> None:
    counters, _ = store
    assert (await counters.rate_hit("z", 2, 10, 2)).allowed
    refused = await counters.rate_hit("z", 2, 10, 0)
    assert not refused.allowed and refused.retry_after == 10


async def test_quota_periods(store: tuple[Any, Clock]) -> None:
    counters, clock = store
    clock.t = 1000.0
    usage = await counters.quota_add("q", 3600, 0.0, 1, 2.5)
    assert (usage.calls, usage.kilobytes, usage.renews_in) == (1, 2.5, 2600.0)
    assert (await counters.quota_usage("q", 3600, 0.0)) == QuotaUsage(1, 2.5, 2600.0)
    clock.t = 3600.0
    assert (await counters.quota_usage("q", 3600, 0.0)).calls == 0
    await counters.quota_add("life", 0, 0.0, 5, 0)
    clock.t = 10**9
    assert (await counters.quota_usage("life", 0, 0.0)) == QuotaUsage(5, 0.0, None)


async def test_slots(store: tuple[Any, Clock]) -> None:
    counters, _ = store
    assert await counters.try_enter("k", 2) and await counters.try_enter("k", 2)
    assert not await counters.try_enter("k", 2)
    await counters.leave("k")
    assert await counters.try_enter("k", 2)


async def test_two_redis_clients_share_counters() -> None:
    if not await _redis_reachable():
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    clock, prefix = Clock(), f"keyless-test:{uuid.uuid4().hex}:"
    first, second = RedisConnection(REDIS_URL), RedisConnection(REDIS_URL)
    try:
        node_a, node_b = RedisCounters(first, clock, prefix=prefix), RedisCounters(second, clock, prefix=prefix)
        assert (await node_a.rate_hit("shared", 2, 60)).allowed
        assert (await node_b.rate_hit("shared", 2, 60)).allowed
        assert not (await node_a.rate_hit("shared", 2, 60)).allowed
        await first.execute("DEL", prefix + "rate:shared", prefix + "rate:shared:n")
    finally:
        await first.close()
        await second.close()


async def test_error_replies_raise() -> None:
    if not await _redis_reachable():
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    connection = RedisConnection(REDIS_URL)
    try:
        with pytest.raises(RedisError, match="unknown command"):
            await connection.execute("NOSUCHCOMMAND")
        assert await connection.execute("PING") == "PONG"
    finally:
        await connection.close()
