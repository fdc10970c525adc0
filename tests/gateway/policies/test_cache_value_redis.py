"""The external cache in Redis (127.0.0.1:6379; skipped when absent): cache-*-value with caching-type
external/prefer-external reach it, values keep their types, durations become Redis TTLs."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from keyless.gateway.counters_redis import RedisConnection
from keyless.gateway.policies import cache_lookup_value, cache_remove_value, cache_store_value
from keyless.gateway.value_cache import InMemoryValueCache, RedisValueCache, ValueCaches

sys.path.insert(0, str(Path(__file__).parent))
from _traffic_doubles import Clock, Ctx, State, el, run_policy, services

LOOKUP, STORE, REMOVE = cache_lookup_value.SPEC, cache_store_value.SPEC, cache_remove_value.SPEC
VALUE = "@(value)"


@pytest.fixture
async def external() -> AsyncIterator[tuple[RedisValueCache, RedisConnection, str]]:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", 6379), 0.5)
        writer.close()
    except (OSError, TimeoutError):
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    connection = RedisConnection("redis://127.0.0.1:6379/0")
    prefix = f"keyless-test:{uuid.uuid4().hex}:"
    yield RedisValueCache(connection, prefix=prefix), connection, prefix
    cursor = "0"
    while True:
        cursor, keys = await connection.execute("SCAN", cursor, "MATCH", prefix + "*", "COUNT", 1000)
        if keys:
            await connection.execute("DEL", *keys)
        if cursor == "0":
            break
    await connection.close()


@pytest.mark.parametrize("value", ["eyJ.token", 42, 2.5, True, None, [1, "a"], {"a": [1, {"b": None}]}, b"\x00\xff"])
async def test_values_keep_their_type(external: Any, value: Any) -> None:
    cache, _, _ = external
    await cache.set("k", value, 60)
    assert await cache.get("k") == (True, value)


async def test_policies_use_the_external_cache_and_durations_become_ttls(external: Any) -> None:
    cache, connection, prefix = external
    internal = InMemoryValueCache(Clock())
    svc = services(Clock())
    svc.cache = ValueCaches(internal, cache)
    ctx = Ctx({VALUE: lambda s: s.variables["value"]})
    state = State(services=svc)
    state.variables["value"] = "secret-token"
    store = STORE.compile(el("cache-store-value", {"key": "bearer", "value": VALUE, "duration": "3600"}), ctx)
    await run_policy(STORE, store, state)
    assert len(internal) == 0  # prefer-external with an external cache configured
    ttl = await connection.execute("PTTL", prefix + "apim-1|bearer")
    assert 3_590_000 < ttl <= 3_600_000
    other_node = State(services=svc)
    lookup = LOOKUP.compile(
        el("cache-lookup-value", {"key": "bearer", "variable-name": "t", "caching-type": "external"}), ctx
    )
    await run_policy(LOOKUP, lookup, other_node)
    assert other_node.variables["t"] == "secret-token"
    await run_policy(REMOVE, REMOVE.compile(el("cache-remove-value", {"key": "bearer"}), ctx), state)
    gone = State(services=svc)
    await run_policy(LOOKUP, lookup, gone)
    assert "t" not in gone.variables


async def test_a_value_json_cannot_hold_is_refused(external: Any) -> None:
    cache, _, _ = external
    svc = services(Clock())
    svc.cache = ValueCaches(InMemoryValueCache(Clock()), cache)
    state = State(services=svc)
    state.variables["value"] = object()
    ctx = Ctx({VALUE: lambda s: s.variables["value"]})
    store = STORE.compile(el("cache-store-value", {"key": "k", "value": VALUE, "duration": "60"}), ctx)
    _, error = await run_policy(STORE, store, state)
    assert error.source == "cache-store-value" and "cannot be stored in the external cache" in error.message
