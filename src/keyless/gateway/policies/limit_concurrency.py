"""limit-concurrency: APIM's cap on requests inside the enclosed policies at once, per key (429 over it)."""

from __future__ import annotations

from dataclasses import dataclass

from keyless.gateway.element import Element
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, RequestState, Steps, Stop, Value
from keyless.gateway.throttling import check_attributes, gateway_error, int_constant, required, service_key

NAME = "limit-concurrency"
# APIM documents the 429 but not its body or LastError reason; these follow its other throttling errors.
MESSAGE = "Too many concurrent requests."
REASON = "ConcurrencyLimitExceeded"


@dataclass(frozen=True)
class Config:
    key: Value
    max_count: int
    steps: Steps


def compile(element: Element, ctx: CompileContext) -> Config:
    check_attributes(ctx, element, ("key", "max-count"))
    key = ctx.value(element, required(ctx, element, "key"), attribute="key")
    max_count = int_constant(ctx, element, "max-count", required(ctx, element, "max-count"), minimum=1)
    return Config(key, max_count, ctx.children(element))


async def run(cfg: Config, state: RequestState) -> Stop | None:
    slot = service_key(state, NAME, cfg.key.get(state))
    counters = state.services.counters
    if not await counters.try_enter(slot, cfg.max_count):
        state.response = gateway_error(429, MESSAGE)
        state.trace(NAME, {"message": MESSAGE, "maxCount": cfg.max_count})
        raise PolicyError(NAME, REASON, MESSAGE)
    try:
        return await cfg.steps.run(state)
    finally:
        await counters.leave(slot)


SPEC = PolicySpec(
    name=NAME, sections=frozenset({"inbound", "backend", "outbound", "on-error"}), compile=compile, run=run
)
