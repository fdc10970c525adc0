"""cache-lookup-value / cache-store-value / cache-remove-value: compile checks and cache scenarios."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from keyless.gateway.policies import cache_lookup_value, cache_remove_value, cache_store_value
from keyless.gateway.value_cache import InMemoryValueCache, ValueCaches

sys.path.insert(0, str(Path(__file__).parent))
from _traffic_doubles import Clock, CompileError, Ctx, State, el, run_policy, services

LOOKUP, STORE, REMOVE = cache_lookup_value.SPEC, cache_store_value.SPEC, cache_remove_value.SPEC
VAR = '@((string)context.Variables["token"])'
DURATION = '@((int)context.Variables["ttl"])'
EXPRS = {VAR: lambda s: s.variables["token"], DURATION: lambda s: s.variables["ttl"], '@("k")': lambda s: "k"}


def lookup(**attrs: str):
    return LOOKUP.compile(el("cache-lookup-value", {k.replace("_", "-"): v for k, v in attrs.items()}), Ctx(EXPRS))


def store(**attrs: str):
    return STORE.compile(el("cache-store-value", {k.replace("_", "-"): v for k, v in attrs.items()}), Ctx(EXPRS))


def test_all_sections_and_defaults() -> None:
    for spec in (LOOKUP, STORE, REMOVE):
        assert spec.sections == {"inbound", "backend", "outbound", "on-error"}
    cfg = lookup(key="k", variable_name="v")
    assert cfg.caching_type == "prefer-external" and cfg.default is None


@pytest.mark.parametrize(
    ("make", "attrs", "named"),
    [
        (lookup, {"variable_name": "v"}, "key"),
        (lookup, {"key": "k"}, "variable-name"),
        (lookup, {"key": "k", "variable_name": '@("v")'}, "variable-name"),
        (lookup, {"key": "k", "variable_name": "v", "caching_type": "redis"}, "caching-type"),
        (lookup, {"key": "k", "variable_name": "v", "duration": "5"}, "duration"),
        (store, {"key": "k", "value": "x"}, "duration"),
        (store, {"key": "k", "duration": "5"}, "value"),
        (store, {"key": "k", "value": "x", "duration": "soon"}, "duration"),
        (store, {"key": "k", "value": "x", "duration": "5", "caching_type": '@("internal")'}, "caching-type"),
    ],
)
def test_refusals_name_the_attribute(make, attrs: dict[str, str], named: str) -> None:
    with pytest.raises(CompileError) as caught:
        make(**attrs)
    assert named in caught.value.message


def test_remove_refuses_children_and_unknown_attributes() -> None:
    with pytest.raises(CompileError, match="'value' is not a valid attribute"):
        REMOVE.compile(el("cache-remove-value", {"key": "k", "value": "v"}), Ctx())
    with pytest.raises(CompileError, match="'set-variable' is not a valid child"):
        REMOVE.compile(el("cache-remove-value", {"key": "k"}, el("set-variable")), Ctx())


async def test_miss_leaves_variable_unset_then_store_hit_expiry_and_remove() -> None:
    clock = Clock(0.0)
    svc = services(clock)
    get = lookup(key='@("k")', variable_name="bearerToken")
    put = store(key="k", value=VAR, duration=DURATION)
    state = State(services=svc)
    await run_policy(LOOKUP, get, state)
    assert "bearerToken" not in state.variables  # the snippets test ContainsKey after a miss
    state.variables.update(token="eyJ.token", ttl=3600)
    await run_policy(STORE, put, state)
    second = State(services=svc)
    await run_policy(LOOKUP, get, second)
    assert second.variables["bearerToken"] == "eyJ.token"
    clock.advance(3600)
    expired = State(services=svc)
    await run_policy(LOOKUP, get, expired)
    assert "bearerToken" not in expired.variables
    state.variables["ttl"] = 60
    await run_policy(STORE, put, state)
    await run_policy(REMOVE, REMOVE.compile(el("cache-remove-value", {"key": "k"}), Ctx()), state)
    removed = State(services=svc)
    await run_policy(LOOKUP, get, removed)
    assert "bearerToken" not in removed.variables


async def test_default_value_on_a_miss_and_zero_duration_stores_nothing() -> None:
    svc = services(Clock())
    state = State(services=svc)
    await run_policy(STORE, store(key="k", value="x", duration="0"), state)
    await run_policy(LOOKUP, lookup(key="k", variable_name="v", default_value="none"), state)
    assert state.variables["v"] == "none"


async def test_bad_duration_expression_is_an_expression_failure() -> None:
    state = State(services=services(Clock()))
    state.variables.update(token="t", ttl="later")
    _, error = await run_policy(STORE, store(key="k", value=VAR, duration=DURATION), state)
    assert (error.source, error.reason) == ("cache-store-value", "ExpressionValueEvaluationFailure")


async def test_caching_types_pick_internal_or_external() -> None:
    internal, external = InMemoryValueCache(Clock()), InMemoryValueCache(Clock())
    only_internal = services(Clock())
    only_internal.cache = ValueCaches(internal)
    state = State(services=only_internal)
    await run_policy(STORE, store(key="k", value="x", duration="60", caching_type="external"), state)
    assert len(internal) == 0
    assert any("no external cache" in str(data) for _, data in state.traces)
    # No cache to look in: nothing is assigned, not even default-value (as the toolkit's emulator does)
    await run_policy(LOOKUP, lookup(key="k", variable_name="v", caching_type="external", default_value="d"), state)
    assert "v" not in state.variables
    await run_policy(STORE, store(key="k", value="x", duration="60"), state)
    assert len(internal) == 1  # prefer-external without an external cache: the built-in one
    both = services(Clock())
    both.cache = ValueCaches(internal, external)
    state = State(services=both)
    await run_policy(STORE, store(key="e", value="y", duration="60"), state)
    assert len(external) == 1 and len(internal) == 1
    await run_policy(LOOKUP, lookup(key="k", variable_name="v", caching_type="internal"), state)
    assert state.variables["v"] == "x"


async def test_each_apim_service_has_its_own_cache() -> None:
    svc = services(Clock())
    await run_policy(STORE, store(key="k", value="a", duration="60"), State(services=svc, service="one"))
    other = State(services=svc, service="two")
    await run_policy(LOOKUP, lookup(key="k", variable_name="v"), other)
    assert "v" not in other.variables
    same = State(services=svc, service="one")
    await run_policy(LOOKUP, lookup(key="k", variable_name="v"), same)
    assert same.variables["v"] == "a"
