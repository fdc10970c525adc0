"""retry: APIM's retry loop over its child policies with fixed, linear or exponential waits."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from keyless.gateway.element import Element
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, RequestState, Steps, Stop, Value
from keyless.gateway.throttling import bool_value, check_attributes, int_value, required, to_bool, to_int

NAME = "retry"
MAX_COUNT = 50

# Injectable for tests: how the policy waits and draws the exponential jitter.
sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
uniform: Callable[[float, float], float] = random.uniform


@dataclass(frozen=True)
class Config:
    condition: Value
    count: Value
    interval: Value
    max_interval: Value | None
    delta: Value | None
    first_fast_retry: Value | None
    steps: Steps


def compile(element: Element, ctx: CompileContext) -> Config:
    check_attributes(ctx, element, ("condition", "count", "interval", "max-interval", "delta", "first-fast-retry"))
    condition = bool_value(ctx, element, "condition", required(ctx, element, "condition"))
    count = int_value(ctx, element, "count", required(ctx, element, "count"), minimum=1, maximum=MAX_COUNT)
    interval = int_value(ctx, element, "interval", required(ctx, element, "interval"), minimum=0)
    optional = {}
    for name in ("max-interval", "delta"):
        raw = element.attrs.get(name)
        optional[name] = None if raw is None else int_value(ctx, element, name, raw, minimum=0)
    fast_raw = element.attrs.get("first-fast-retry")
    fast = None if fast_raw is None else bool_value(ctx, element, "first-fast-retry", fast_raw)
    steps = ctx.children(element)
    return Config(condition, count, interval, optional["max-interval"], optional["delta"], fast, steps)


def wait_seconds(attempt: int, interval: int, delta: int | None, max_interval: int | None) -> float:
    """The wait before retry number `attempt` (1-based), by the formulas of APIM's retry policy."""
    if delta is None:
        wait: float = interval  # fixed
    elif max_interval is None:
        wait = interval + (attempt - 1) * delta  # linear
    else:
        # exponential: interval + (2^n - 1) * random(0.8 delta, 1.2 delta), n retries already made
        wait = interval + (2 ** (attempt - 1) - 1) * uniform(delta * 0.8, delta * 1.2)
    return min(wait, max_interval) if max_interval is not None else wait


async def run(cfg: Config, state: RequestState) -> Stop | None:
    count = to_int(NAME, "count", cfg.count.get(state), 1, MAX_COUNT)
    interval = to_int(NAME, "interval", cfg.interval.get(state), 0)
    delta = None if cfg.delta is None else to_int(NAME, "delta", cfg.delta.get(state), 0)
    max_interval = None if cfg.max_interval is None else to_int(NAME, "max-interval", cfg.max_interval.get(state), 0)
    fast = False if cfg.first_fast_retry is None else to_bool(NAME, "first-fast-retry", cfg.first_fast_retry.get(state))
    attempt = 0
    while True:
        try:
            outcome = await cfg.steps.run(state)
        except PolicyError:
            # A failing child is retried like a failed call while the condition holds and retries remain.
            if attempt >= count or not to_bool(NAME, "condition", cfg.condition.get(state)):
                raise
        else:
            if outcome is not None or attempt >= count or not to_bool(NAME, "condition", cfg.condition.get(state)):
                return outcome
        attempt += 1
        wait = 0.0 if attempt == 1 and fast else wait_seconds(attempt, interval, delta, max_interval)
        state.trace(NAME, {"message": "Retrying.", "attempt": attempt, "wait": wait})
        if wait > 0:
            await sleep(wait)


SPEC = PolicySpec(
    name=NAME, sections=frozenset({"inbound", "backend", "outbound", "on-error"}), compile=compile, run=run
)
