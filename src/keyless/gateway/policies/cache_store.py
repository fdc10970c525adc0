"""cache-store: APIM's response cache write; stores the response under cache-lookup's key for `duration` seconds."""

from __future__ import annotations

from dataclasses import dataclass

from keyless.gateway import response_cache as rc
from keyless.gateway.element import Element
from keyless.gateway.policies.cache_lookup_value import cache_for
from keyless.gateway.policy import CompileContext, PolicySpec, RequestState, Stop, Value
from keyless.gateway.throttling import (
    bool_value,
    check_attributes,
    check_children,
    int_value,
    required,
    to_bool,
    to_int,
)

NAME = "cache-store"


@dataclass(frozen=True)
class Config:
    duration: Value
    cache_response: Value | None


def compile(element: Element, ctx: CompileContext) -> Config:
    check_attributes(ctx, element, ("duration", "cache-response"))
    check_children(ctx, element, ())
    if element.text.strip():
        raise ctx.error(element, f"'{NAME}' does not take text content.")
    duration = int_value(ctx, element, "duration", required(ctx, element, "duration"), minimum=0)
    raw = element.attrs.get("cache-response")
    return Config(duration, None if raw is None else bool_value(ctx, element, "cache-response", raw))


async def run(cfg: Config, state: RequestState) -> Stop | None:
    duration = to_int(NAME, "duration", cfg.duration.get(state))
    # Omitted, only 200 OK is stored; `cache-response` true stores the response whatever its status (the doc).
    forced = cfg.cache_response is not None and to_bool(NAME, "cache-response", cfg.cache_response.get(state))
    pending = rc.pending_for(state)
    if pending is None:
        # no cache-lookup looked this request up (not a GET, a private request, or no cache-lookup at all)
        state.trace(NAME, {"message": "No cache lookup for this request; the response is not stored."})
        return None
    if duration <= 0:
        state.trace(NAME, {"message": "Duration is not positive; the response is not stored."})
        return None
    cache = cache_for(state, NAME, pending.caching_type)
    if cache is None:
        return None
    # The response as it stands here is stored: on a hit, APIM serves it and continues with the outbound
    # policies after this one (cache-lookup), so those run on every response, cached or not.
    response = state.ensure_response()
    if not (forced or response.status == 200):
        state.trace(NAME, {"message": f"Status {response.status} is not stored (cache-response is not true)."})
        return None
    await cache.set(pending.key, rc.encode(response, rc.clock(state.services)() + duration), duration)
    rc.downstream_headers(response, pending, duration)
    state.trace(NAME, {"message": "Response stored in the cache.", "duration": duration})
    return None


SPEC = PolicySpec(name=NAME, sections=frozenset({"outbound"}), compile=compile, run=run, once=True)
