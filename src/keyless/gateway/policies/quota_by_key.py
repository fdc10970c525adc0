"""quota-by-key: APIM's call/bandwidth quota per counter key over fixed periods from first-period-start (403)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from keyless.gateway.element import Element
from keyless.gateway.http_types import GatewayResponse
from keyless.gateway.policies.quota import Quota, compile_amounts, enforce, message_kilobytes
from keyless.gateway.policies.rate_limit_by_key import counter_id, deferred
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, RequestState, Stop, Value
from keyless.gateway.throttling import (
    after_response,
    bool_value,
    check_attributes,
    check_children,
    int_constant,
    int_value,
    no_expression,
    required,
    to_bool,
    to_int,
)

NAME = "quota-by-key"
MIN_PERIOD = 300
FIRST_PERIOD_START = "0001-01-01T00:00:00Z"

# Keys already counted, by request ("incremented only once per request"); dropped when the response is out.
# The entry holds the state itself so its id cannot be reused by another request while the entry lives.
_counted: dict[int, tuple[RequestState, set[str]]] = {}


@dataclass(frozen=True)
class Config:
    quota: Quota
    counter_key: Value
    increment_condition: Value | None
    increment_count: Value | None
    start: float


def _start(ctx: CompileContext, element: Element) -> float:
    raw = no_expression(ctx, element, "first-period-start") or FIRST_PERIOD_START
    try:
        moment = datetime.strptime(raw.strip(), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise ctx.error(
            element, f"'first-period-start' must be written yyyy-MM-ddTHH:mm:ssZ, not '{raw}'.", "first-period-start"
        ) from None
    return moment.timestamp()


def compile(element: Element, ctx: CompileContext) -> Config:
    check_attributes(
        ctx,
        element,
        (
            "calls",
            "bandwidth",
            "renewal-period",
            "counter-key",
            "increment-condition",
            "increment-count",
            "first-period-start",
        ),
    )
    check_children(ctx, element, ())
    calls, kilobytes = compile_amounts(ctx, element)
    period = int_constant(ctx, element, "renewal-period", required(ctx, element, "renewal-period"), minimum=0)
    if 0 < period < MIN_PERIOD:
        raise ctx.error(
            element, f"'renewal-period' of 'quota-by-key' must be 0 or at least {MIN_PERIOD}.", "renewal-period"
        )
    counter_key = ctx.value(element, required(ctx, element, "counter-key"), attribute="counter-key")
    condition_raw = element.attrs.get("increment-condition")
    condition = None if condition_raw is None else bool_value(ctx, element, "increment-condition", condition_raw)
    count_raw = element.attrs.get("increment-count")
    count = None if count_raw is None else int_value(ctx, element, "increment-count", count_raw, minimum=0)
    return Config(Quota(calls, kilobytes, period), counter_key, condition, count, _start(ctx, element))


async def run(cfg: Config, state: RequestState) -> Stop | None:
    key = counter_id(state, NAME, cfg.counter_key.get(state))
    applied = [(f"{key}|{cfg.quota.period}", cfg.quota)]
    await enforce(state, NAME, applied, cfg.start)
    entry = _counted.get(id(state))
    if entry is None:
        entry = (state, set())
        register = getattr(state, "on_response", None)
        if register is not None:  # without response hooks there is no end of request to forget it at

            async def forget(response: GatewayResponse) -> None:
                _counted.pop(id(state), None)

            register(forget)
            _counted[id(state)] = entry
    if key in entry[1]:
        return None
    entry[1].add(key)
    counters = state.services.counters
    quota, cell = cfg.quota, applied[0][0]
    condition, count_value = cfg.increment_condition, cfg.increment_count
    later = deferred(condition, count_value)
    if not later:
        counted = condition is None or to_bool(NAME, "increment-condition", condition.get(state))
        if counted:
            count = 1 if count_value is None else to_int(NAME, "increment-count", count_value.get(state), 0)
            await counters.quota_add(cell, quota.period, cfg.start, count, 0.0)
        if quota.kilobytes is None or not counted:
            return None

    async def count_after_response(response: GatewayResponse) -> None:
        calls = 0
        if later:
            try:
                if condition is not None and not to_bool(NAME, "increment-condition", condition.get(state)):
                    return
                calls = 1 if count_value is None else to_int(NAME, "increment-count", count_value.get(state), 0)
            except PolicyError as error:  # the response is already final: the call is not counted
                state.trace(NAME, {"message": f"Not counted: {error.message}"})
                return
        kilobytes = message_kilobytes(state, response) if quota.kilobytes is not None else 0.0
        await counters.quota_add(cell, quota.period, cfg.start, calls, kilobytes)

    after_response(state, NAME, count_after_response)
    return None


SPEC = PolicySpec(name=NAME, sections=frozenset({"inbound"}), compile=compile, run=run)
