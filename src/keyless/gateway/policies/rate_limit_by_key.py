"""rate-limit-by-key: APIM's sliding-window call limit per counter key (429 + Retry-After)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from keyless.gateway.element import Element
from keyless.gateway.http_types import GatewayResponse
from keyless.gateway.policies.rate_limit import MAX_PERIOD, OUTPUT_ATTRIBUTES, Outputs, compile_outputs, refuse, report
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, RequestState, Stop, Value
from keyless.gateway.throttling import (
    after_response,
    bool_value,
    check_attributes,
    check_children,
    int_value,
    required,
    service_key,
    to_bool,
    to_int,
)

NAME = "rate-limit-by-key"


@dataclass(frozen=True)
class Config:
    calls: Value
    period: Value
    counter_key: Value
    increment_condition: Value | None
    increment_count: Value | None
    outputs: Outputs


def compile(element: Element, ctx: CompileContext) -> Config:
    check_attributes(
        ctx,
        element,
        ("calls", "renewal-period", "counter-key", "increment-condition", "increment-count", *OUTPUT_ATTRIBUTES),
    )
    check_children(ctx, element, ())
    calls = int_value(ctx, element, "calls", required(ctx, element, "calls"), minimum=0)
    period = int_value(
        ctx, element, "renewal-period", required(ctx, element, "renewal-period"), minimum=1, maximum=MAX_PERIOD
    )
    counter_key = ctx.value(element, required(ctx, element, "counter-key"), attribute="counter-key")
    condition_raw = element.attrs.get("increment-condition")
    condition = None if condition_raw is None else bool_value(ctx, element, "increment-condition", condition_raw)
    count_raw = element.attrs.get("increment-count")
    count = None if count_raw is None else int_value(ctx, element, "increment-count", count_raw, minimum=0)
    return Config(calls, period, counter_key, condition, count, compile_outputs(ctx, element))


def counter_id(state: RequestState, policy: str, key: object) -> str:
    """Counter keys are often caller identities (IPs, tokens): the store only ever sees a digest."""
    digest = hashlib.sha256(("" if key is None else str(key)).encode()).hexdigest()
    return service_key(state, policy, digest)


def deferred(cfg_condition: Value | None, cfg_count: Value | None) -> bool:
    """An expression in increment-condition or increment-count defers evaluation and counting to the end of
    the outbound pipeline (where it can see the response); constants count at once."""
    return any(v is not None and not v.is_constant for v in (cfg_condition, cfg_count))


async def run(cfg: Config, state: RequestState) -> Stop | None:
    calls = to_int(NAME, "calls", cfg.calls.get(state), minimum=0)
    period = to_int(NAME, "renewal-period", cfg.period.get(state), minimum=1, maximum=MAX_PERIOD)
    key = counter_id(state, NAME, cfg.counter_key.get(state))
    counters = state.services.counters
    condition, count_value = cfg.increment_condition, cfg.increment_count
    if not deferred(condition, count_value):
        count = 1 if count_value is None else to_int(NAME, "increment-count", count_value.get(state), 0)
        counted = condition is None or to_bool(NAME, "increment-condition", condition.get(state))
        decision = await (counters.rate_hit if counted else counters.rate_peek)(key, calls, period, count)
        if not decision.allowed:
            raise refuse(state, NAME, cfg.outputs, decision.retry_after, calls)
        report(state, NAME, cfg.outputs, decision.remaining, calls)
        return None
    expected = (
        1
        if count_value is None or not count_value.is_constant
        else to_int(NAME, "increment-count", count_value.get(state), 0)
    )
    decision = await counters.rate_peek(key, calls, period, expected)
    if not decision.allowed:
        raise refuse(state, NAME, cfg.outputs, decision.retry_after, calls)

    async def count_after_response(response: GatewayResponse) -> None:
        try:
            if condition is not None and not to_bool(NAME, "increment-condition", condition.get(state)):
                return
            count = 1 if count_value is None else to_int(NAME, "increment-count", count_value.get(state), 0)
        except PolicyError as error:  # the response is already final: the call is not counted, the trace says why
            state.trace(NAME, {"message": f"Not counted: {error.message}"})
            return
        await counters.rate_add(key, period, count)

    after_response(state, NAME, count_after_response)
    report(state, NAME, cfg.outputs, max(0, decision.remaining - expected), calls)
    return None


SPEC = PolicySpec(name=NAME, sections=frozenset({"inbound"}), compile=compile, run=run)
