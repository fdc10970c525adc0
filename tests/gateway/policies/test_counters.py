"""Counter and value-cache stores with an injected clock: sliding windows, fixed quota periods, slots, expiry."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from keyless.gateway.counters import InMemoryCounters
from keyless.gateway.throttling import gateway_error, timespan
from keyless.gateway.value_cache import InMemoryValueCache, ValueCaches

sys.path.insert(0, str(Path(__file__).parent))
from _traffic_doubles import Clock


async def test_sliding_window_allows_limit_then_refuses_until_oldest_call_leaves() -> None:
    clock = Clock(0.0)
    counters = InMemoryCounters(clock)
    for t in (0.0, 1.0, 2.0):
        clock.t = t
        decision = await counters.rate_hit("k", 3, 10)
        assert decision.allowed
    assert decision.remaining == 0
    clock.t = 3.0
    refused = await counters.rate_hit("k", 3, 10)
    assert (refused.allowed, refused.remaining, refused.retry_after) == (False, 0, 7)
    clock.t = 9.5
    assert (await counters.rate_hit("k", 3, 10)).retry_after == 1  # 0.5 s left, rounded up
    clock.t = 10.0  # the call at t=0 has left the window; refused calls were never counted
    again = await counters.rate_hit("k", 3, 10)
    assert again.allowed and again.remaining == 0
    clock.t = 10.5
    assert (await counters.rate_hit("k", 3, 10)).retry_after == 1  # the call at t=1 leaves at 11


async def test_sliding_window_is_sliding_not_fixed() -> None:
    clock = Clock(0.0)
    counters = InMemoryCounters(clock)
    clock.t = 9.0
    assert (await counters.rate_hit("k", 2, 10)).allowed
    assert (await counters.rate_hit("k", 2, 10)).allowed
    clock.t = 11.0  # a fixed window would have reset at 10
    refused = await counters.rate_hit("k", 2, 10)
    assert not refused.allowed and refused.retry_after == 8


async def test_counts_larger_than_one_and_keys_apart() -> None:
    counters = InMemoryCounters(Clock(0.0))
    assert (await counters.rate_hit("a", 10, 60, 4)).remaining == 6
    assert (await counters.rate_hit("a", 10, 60, 4)).remaining == 2
    assert not (await counters.rate_hit("a", 10, 60, 4)).allowed
    assert (await counters.rate_hit("a", 10, 60, 2)).allowed
    assert (await counters.rate_hit("b", 10, 60, 4)).remaining == 6


async def test_a_reached_limit_refuses_even_a_zero_count() -> None:
    counters = InMemoryCounters(Clock(0.0))
    assert (await counters.rate_hit("k", 2, 10, 2)).allowed
    refused = await counters.rate_hit("k", 2, 10, 0)
    assert not refused.allowed and refused.retry_after == 10
    assert (await counters.rate_hit("zero", 2, 10, 0)).allowed


async def test_peek_does_not_count_and_add_does() -> None:
    clock = Clock(0.0)
    counters = InMemoryCounters(clock)
    for _ in range(5):
        assert (await counters.rate_peek("k", 1, 10)).allowed
    assert await counters.rate_add("k", 10, 1) == 1
    peek = await counters.rate_peek("k", 1, 10)
    assert not peek.allowed and peek.retry_after == 10


async def test_quota_periods_are_fixed_from_start_and_lifetime_never_renews() -> None:
    clock = Clock(1000.0)
    counters = InMemoryCounters(clock)
    usage = await counters.quota_add("q", 3600, 0.0, 1, 2.5)
    assert (usage.calls, usage.kilobytes, usage.renews_in) == (1, 2.5, 2600.0)
    clock.t = 3599.0
    assert (await counters.quota_usage("q", 3600, 0.0)).calls == 1
    clock.t = 3600.0  # a new period: usage starts again
    assert (await counters.quota_usage("q", 3600, 0.0)).calls == 0
    assert (await counters.quota_add("q", 3600, 0.0, 1, 0)).calls == 1
    lifetime = await counters.quota_add("life", 0, 0.0, 5, 0)
    clock.t = 10**9
    assert (await counters.quota_usage("life", 0, 0.0)) == lifetime.__class__(5, 0.0, None)


async def test_slots_are_taken_and_given_back() -> None:
    counters = InMemoryCounters(Clock())
    assert await counters.try_enter("k", 2) and await counters.try_enter("k", 2)
    assert not await counters.try_enter("k", 2)
    assert await counters.try_enter("other", 2)
    await counters.leave("k")
    assert await counters.try_enter("k", 2)


async def test_sweep_drops_idle_windows() -> None:
    clock = Clock(0.0)
    counters = InMemoryCounters(clock, sweep_every=3)
    await counters.rate_hit("old", 5, 10)
    clock.t = 100.0
    await counters.rate_hit("a", 5, 10)
    await counters.rate_hit("b", 5, 10)  # third operation sweeps
    assert "old" not in counters._windows and "a" in counters._windows


async def test_sweep_drops_ended_quota_periods_but_keeps_lifetime_ones() -> None:
    clock = Clock(0.0)
    counters = InMemoryCounters(clock, sweep_every=2)
    await counters.quota_add("hour", 3600, 0.0, 1, 0)
    await counters.quota_add("life", 0, 0.0, 1, 0)  # second operation sweeps: nothing has ended
    assert set(counters._quotas) == {"hour", "life"}
    clock.t = 3600.0
    await counters.quota_add("other", 3600, 0.0, 1, 0)
    await counters.quota_add("other", 3600, 0.0, 1, 0)  # fourth operation sweeps
    assert set(counters._quotas) == {"life", "other"}
    assert (await counters.quota_usage("life", 0, 0.0)).calls == 1


async def test_value_cache_entries_expire_by_their_own_duration() -> None:
    clock = Clock(0.0)
    cache = InMemoryValueCache(clock)
    await cache.set("short", "s", 10)
    await cache.set("long", "l", 100)
    clock.t = 10.0
    assert await cache.get("short") == (False, None)
    assert await cache.get("long") == (True, "l")
    await cache.remove("long")
    assert await cache.get("long") == (False, None)
    await cache.set("zero", "z", 0)
    assert await cache.get("zero") == (False, None)


async def test_value_cache_copies_mutable_values_and_evicts_least_recent() -> None:
    cache = InMemoryValueCache(Clock(), max_entries=2)
    stored = {"token": "a"}
    await cache.set("obj", stored, 60)
    stored["token"] = "changed"
    found, value = await cache.get("obj")
    assert found and value == {"token": "a"}
    value["token"] = "changed again"
    assert (await cache.get("obj"))[1] == {"token": "a"}
    await cache.set("b", 1, 60)
    await cache.get("obj")  # obj is now the most recent
    await cache.set("c", 2, 60)
    assert (await cache.get("b"))[0] is False and (await cache.get("obj"))[0] and len(cache) == 2


def test_caching_type_selects_a_cache() -> None:
    internal, external = InMemoryValueCache(), InMemoryValueCache()
    only_internal = ValueCaches(internal)
    assert only_internal.select("internal") is internal
    assert only_internal.select("prefer-external") is internal
    assert only_internal.select("external") is None
    both = ValueCaches(internal, external)
    assert both.select("prefer-external") is external and both.select("internal") is internal


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "00:00:00"), (1802, "00:30:02"), (86399, "23:59:59"), (86400, "1.00:00:00"), (1221236, "14.03:13:56")],
)
def test_timespan_is_dotnet_format(seconds: int, text: str) -> None:
    assert timespan(seconds) == text


def test_gateway_error_body_is_apims() -> None:
    response = gateway_error(429, "Rate limit is exceeded. Try again in 5 seconds.", [("Retry-After", "5")])
    assert response.body == b'{ "statusCode": 429, "message": "Rate limit is exceeded. Try again in 5 seconds." }'
    assert response.headers.get("Content-Type") == "application/json" and response.headers.get("retry-after") == "5"
