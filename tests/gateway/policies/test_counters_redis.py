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
from keyless.gateway.counters_redis import RedisConnection, RedisCounters, RedisError, RedisPool

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
    await _delete_prefix(connection, prefix)
    await connection.close()


async def _delete_prefix(connection: RedisConnection, prefix: str) -> None:
    cursor = "0"
    while True:
        cursor, keys = await connection.execute("SCAN", cursor, "MATCH", prefix + "*", "COUNT", 1000)
        if keys:
            await connection.execute("DEL", *keys)
        if cursor == "0":
            break


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
        await _delete_prefix(first, prefix)
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


async def test_two_gateway_processes_share_one_rate_limit(tmp_path: Path) -> None:
    """Scale-out: two gateway listeners (as two nodes would be) count one subscription's calls together."""
    if not await _redis_reachable():
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    import aiohttp
    from aiohttp import web

    from keyless.gateway.app import Gateways
    from keyless.gateway.proxy import BackendPool
    from keyless.gateway.snapshot import build_snapshot
    from keyless.gateway.state import GatewayServices
    from keyless.gateway.value_cache import InMemoryValueCache, ValueCaches

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    backend = web.AppRunner(web.Application())
    backend.app.router.add_get("/x", ok)
    await backend.setup()
    site = web.TCPSite(backend, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    backend_url = f"http://127.0.0.1:{port}"
    policy = (
        '<policies><inbound><base/><rate-limit calls="2" renewal-period="60"/></inbound>'
        "<backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>"
    )
    snap = build_snapshot(
        {"name": "svc"},
        apis=[{"name": "a", "properties": {"path": "a", "serviceUrl": backend_url}}],
        operations={"a": [{"name": "x", "properties": {"method": "GET", "urlTemplate": "/x"}}]},
        subscriptions=[{"name": "s", "properties": {"scope": "/apis", "state": "active", "primaryKey": "key"}}],
        policies={("api", "a"): policy},
    )
    clock, prefix = Clock(), f"keyless-test:{uuid.uuid4().hex}:"
    connections, nodes, ports = [], [], []
    for n in range(2):
        connection = RedisConnection(REDIS_URL)
        services = GatewayServices(
            backends=BackendPool(),
            counters=RedisCounters(connection, clock, prefix=prefix),
            cache=ValueCaches(InMemoryValueCache(clock)),
        )
        node = Gateways(services, ports_file=tmp_path / f"ports-{n}.json")
        connections.append(connection)
        nodes.append(node)
        ports.append(await node.start("svc", snap))
    try:
        async with aiohttp.ClientSession() as session:
            statuses = []
            for port in (ports[0], ports[1], ports[0], ports[1]):
                url = f"http://127.0.0.1:{port}/a/x"
                async with session.get(url, headers={"Ocp-Apim-Subscription-Key": "key"}) as r:
                    statuses.append(r.status)
        assert statuses == [200, 200, 429, 429]
    finally:
        for node in nodes:
            await node.close()
        await _delete_prefix(connections[0], prefix)
        for connection in connections:
            await connection.close()
        await backend.cleanup()


async def test_a_pool_serves_concurrent_commands_in_order() -> None:
    if not await _redis_reachable():
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    pool, prefix = RedisPool(REDIS_URL, size=3), f"keyless-test:{uuid.uuid4().hex}:"
    try:
        counters = RedisCounters(pool, Clock(), prefix=prefix)
        decisions = await asyncio.gather(*(counters.rate_hit("p", 10, 60) for _ in range(15)))
        assert sum(d.allowed for d in decisions) == 10
        assert sorted(d.remaining for d in decisions if d.allowed) == list(range(10))
        await _delete_prefix(pool, prefix)
    finally:
        await pool.close()
