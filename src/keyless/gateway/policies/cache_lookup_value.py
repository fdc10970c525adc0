"""cache-lookup-value: APIM's cache read by key into a context variable (a miss leaves it unset)."""

from __future__ import annotations

from dataclasses import dataclass

from keyless.gateway.element import Element
from keyless.gateway.policy import CompileContext, PolicySpec, RequestState, Stop, Value
from keyless.gateway.throttling import check_attributes, check_children, no_expression, required, service_key
from keyless.gateway.value_cache import ValueCache

NAME = "cache-lookup-value"
CACHING_TYPES = ("prefer-external", "external", "internal")


@dataclass(frozen=True)
class Config:
    key: Value
    variable: str
    default: Value | None
    caching_type: str


def compile_caching_type(ctx: CompileContext, element: Element) -> str:
    raw = no_expression(ctx, element, "caching-type") or "prefer-external"
    if raw not in CACHING_TYPES:
        raise ctx.error(
            element, f"'caching-type' must be one of {', '.join(CACHING_TYPES)}, not '{raw}'.", "caching-type"
        )
    return raw


def cache_for(state: RequestState, policy: str, caching_type: str) -> ValueCache | None:
    """The cache `caching-type` names. `external` without an external cache configured finds nothing and
    stores nothing (APIM documents no other outcome); the trace says so."""
    cache: ValueCache | None = state.services.cache.select(caching_type)
    if cache is None:
        state.trace(policy, {"message": "caching-type is external and no external cache is configured."})
    return cache


def compile(element: Element, ctx: CompileContext) -> Config:
    check_attributes(ctx, element, ("key", "variable-name", "default-value", "caching-type"))
    check_children(ctx, element, ())
    key = ctx.value(element, required(ctx, element, "key"), attribute="key")
    variable = required(ctx, element, "variable-name")
    no_expression(ctx, element, "variable-name")
    raw_default = element.attrs.get("default-value")
    default = None if raw_default is None else ctx.value(element, raw_default, attribute="default-value")
    return Config(key, variable, default, compile_caching_type(ctx, element))


async def run(cfg: Config, state: RequestState) -> Stop | None:
    key = cfg.key.get(state)
    cache = cache_for(state, NAME, cfg.caching_type)
    if cache is None:
        return None  # no cache to look in: the variable is left as it is, default-value included
    found, value = await cache.get(service_key(state, key))
    if found:
        state.variables[cfg.variable] = value
        state.trace(NAME, {"message": "Cache lookup resulted in a hit.", "variable": cfg.variable})
    elif cfg.default is not None:
        state.variables[cfg.variable] = cfg.default.get(state)
        state.trace(NAME, {"message": "Cache lookup resulted in a miss; default value assigned."})
    else:
        state.trace(NAME, {"message": "Cache lookup resulted in a miss.", "variable": cfg.variable})
    return None


SPEC = PolicySpec(
    name=NAME, sections=frozenset({"inbound", "backend", "outbound", "on-error"}), compile=compile, run=run
)
