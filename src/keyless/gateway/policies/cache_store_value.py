"""cache-store-value: APIM's cache write by key with a duration in seconds (0 or less stores nothing)."""

from __future__ import annotations

from dataclasses import dataclass

from keyless.gateway.element import Element
from keyless.gateway.policies.cache_lookup_value import cache_for, compile_caching_type
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, RequestState, Stop, Value
from keyless.gateway.throttling import check_attributes, check_children, int_value, required, service_key, to_int

NAME = "cache-store-value"


@dataclass(frozen=True)
class Config:
    key: Value
    value: Value
    duration: Value
    caching_type: str


def compile(element: Element, ctx: CompileContext) -> Config:
    check_attributes(ctx, element, ("key", "value", "duration", "caching-type"))
    check_children(ctx, element, ())
    key = ctx.value(element, required(ctx, element, "key"), attribute="key")
    if "value" not in element.attrs:
        raise ctx.error(element, "Attribute 'value' of 'cache-store-value' is required.", "value")
    value = ctx.value(element, element.attrs["value"], attribute="value")
    duration = int_value(ctx, element, "duration", required(ctx, element, "duration"), minimum=0)
    return Config(key, value, duration, compile_caching_type(ctx, element))


async def run(cfg: Config, state: RequestState) -> Stop | None:
    duration = to_int(NAME, "duration", cfg.duration.get(state))
    key, value = service_key(state, cfg.key.get(state)), cfg.value.get(state)
    cache = cache_for(state, NAME, cfg.caching_type)
    if cache is not None and duration > 0:
        try:
            await cache.set(key, value, duration)
        except TypeError as error:  # the external cache holds only what it can serialise
            raise PolicyError(NAME, "ExpressionValueEvaluationFailure", str(error)) from None
    state.trace(NAME, {"message": "Value stored in cache." if cache and duration > 0 else "Nothing stored."})
    return None


SPEC = PolicySpec(
    name=NAME, sections=frozenset({"inbound", "backend", "outbound", "on-error"}), compile=compile, run=run
)
