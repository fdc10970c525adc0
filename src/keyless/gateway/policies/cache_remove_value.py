"""cache-remove-value: APIM's removal of a cached value by key."""

from __future__ import annotations

from dataclasses import dataclass

from keyless.gateway.element import Element
from keyless.gateway.policies.cache_lookup_value import cache_for, compile_caching_type
from keyless.gateway.policy import CompileContext, PolicySpec, RequestState, Stop, Value
from keyless.gateway.throttling import check_attributes, check_children, required, service_key

NAME = "cache-remove-value"


@dataclass(frozen=True)
class Config:
    key: Value
    caching_type: str


def compile(element: Element, ctx: CompileContext) -> Config:
    check_attributes(ctx, element, ("key", "caching-type"))
    check_children(ctx, element, ())
    key = ctx.value(element, required(ctx, element, "key"), attribute="key")
    return Config(key, compile_caching_type(ctx, element))


async def run(cfg: Config, state: RequestState) -> Stop | None:
    key = service_key(state, cfg.key.get(state))
    cache = cache_for(state, NAME, cfg.caching_type)
    if cache is not None:
        await cache.remove(key)
        state.trace(NAME, {"message": "Value removed from cache."})
    return None


SPEC = PolicySpec(
    name=NAME, sections=frozenset({"inbound", "backend", "outbound", "on-error"}), compile=compile, run=run
)
