"""Wait `{interval: {count, unit}}` or `{until: {timestamp}}`: pauses the run (reference §3.5).

Units Second, Minute, Hour, Day, Week, Month (a calendar month from now). A timestamp already past ends at once.
The record has inputs (evaluated) and no outputs, code OK (real run of a Wait named Delay). The sleep goes through
`RunHost.sleep`, which is durable where the host is; the run is checkpointed first.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from keyless.wdl.errors import ExpressionError
from keyless.wdl.functions.timestamps import from_datetime, parse_timestamp
from keyless.wdl.text import to_text
from keyless.workflows.actions._results import BAD_REQUEST, OK, failed, inputs_of, succeeded
from keyless.workflows.actions.base import ActionSpec, Compiled, Outcome

TYPE = "Wait"
UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400, "month": None}
_TICKS_PER_SECOND = 10_000_000


@dataclass(frozen=True)
class Config:
    interval: Compiled | None
    until: Compiled | None


def compile(spec: dict[str, Any], ctx: Any) -> Config:
    inputs = inputs_of(spec, ctx)
    if ("interval" in inputs) == ("until" in inputs):
        raise ctx.error(
            "inputs", f"The action '{ctx.action_name}' of type '{TYPE}' needs either 'interval' or 'until'."
        )
    if "interval" in inputs:
        interval = ctx.value(inputs["interval"], "inputs.interval")
        if interval.is_constant:
            problem = _interval_problem(interval.evaluate(None))
            if problem is not None:
                raise ctx.error("inputs.interval", problem)
        return Config(interval, None)
    until = ctx.value(inputs["until"], "inputs.until")
    if until.is_constant and _timestamp_of(until.evaluate(None)) is None:
        raise ctx.error("inputs.until", "The 'until' of a Wait action must be {\"timestamp\": <ISO 8601 time>}.")
    return Config(None, until)


def _count(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _interval_problem(interval: Any) -> str | None:
    if not isinstance(interval, dict):
        return "The 'interval' of a Wait action must be an object {count, unit}."
    count = _count(interval.get("count"))
    if count is None or count < 0:
        return f"The interval count '{to_text(interval.get('count'))}' is not valid: it must be a non-negative integer."
    unit = interval.get("unit")
    if not isinstance(unit, str) or unit.lower() not in UNITS:
        return (
            f"The interval unit '{to_text(unit)}' is not valid: it must be one of Second, Minute, Hour, Day, Week, "
            "Month."
        )
    return None


def _timestamp_of(until: Any) -> str | None:
    if isinstance(until, dict) and isinstance(until.get("timestamp"), str):
        return str(until["timestamp"])
    return None


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def _seconds(interval: dict[str, Any], now: datetime) -> float:
    count = _count(interval["count"]) or 0
    per_unit = UNITS[str(interval["unit"]).lower()]
    if per_unit is None:
        return (_add_months(now, count) - now) / timedelta(seconds=1)
    return float(count * per_unit)


async def run(config: Config, ctx: Any) -> Outcome:
    now: datetime = ctx.now()  # the run's clock (pinned in tests)
    if config.interval is not None:
        interval = ctx.evaluate(config.interval)
        inputs = {"interval": interval}
        problem = _interval_problem(interval)
        if problem is not None:
            return failed(BAD_REQUEST, problem, inputs=inputs)
        seconds = _seconds(interval, now)
    else:
        assert config.until is not None
        until = ctx.evaluate(config.until)
        inputs = {"until": until}
        text = _timestamp_of(until)
        try:
            target = parse_timestamp(TYPE, [text]) if text is not None else None
        except ExpressionError:
            target = None
        if target is None:
            return failed(
                BAD_REQUEST, f"The Wait timestamp '{to_text(text)}' is not a valid ISO 8601 time.", inputs=inputs
            )
        seconds = (target.ticks - from_datetime(now).ticks) / _TICKS_PER_SECOND
    if seconds > 0:
        await ctx.checkpoint()
        await ctx.host.sleep(seconds)
    return succeeded(OK, inputs, has_outputs=False)


SPEC = ActionSpec(TYPE, compile, run, durable=True)
