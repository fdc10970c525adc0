"""Until: a do-while loop. Its actions run, then the condition is checked; the loop ends when it is true, after
`limit.count` iterations (default 60, at most 5,000) or once `limit.timeout` (default PT1H) has passed, checked
after each iteration. Reaching a limit ends the loop without failing it (reference §3.5). The record carries
`iteration_count`; `iterationIndexes('Loop')` is the current 0-based iteration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.wdl.errors import ExpressionError
from keyless.wdl.values import is_integer
from keyless.workflows.actions._conditions import compile_condition, evaluate_condition, is_true
from keyless.workflows.actions._container import container_outcome, field, nested_actions, refuse_operation_options
from keyless.workflows.actions.base import ActionSpec, CompileContext, Compiled, Outcome
from keyless.workflows.durations import parse_duration
from keyless.workflows.records import SUCCEEDED

DEFAULT_COUNT = 60
MAX_COUNT = 5000
DEFAULT_TIMEOUT = "PT1H"


@dataclass
class UntilConfig:
    expression: Compiled
    count: Compiled
    timeout: Compiled
    actions: Any


def compile_until(spec: dict[str, Any], ctx: CompileContext) -> UntilConfig:
    refuse_operation_options(spec, ctx)
    if "inputs" in spec:
        raise ctx.error("inputs", f"The Until action '{ctx.action_name}' takes no 'inputs'.")
    expression = field(spec, "expression")
    if expression is None:
        raise ctx.error("expression", f"The Until action '{ctx.action_name}' needs an 'expression'.")
    compiled = compile_condition(expression[1], ctx, expression[0])
    count: Any = DEFAULT_COUNT
    timeout: Any = DEFAULT_TIMEOUT
    limit = field(spec, "limit")
    if limit is not None:
        if not isinstance(limit[1], dict):
            raise ctx.error(limit[0], "The 'limit' property must be an object.")
        for key, value in limit[1].items():
            here = f"{limit[0]}.{key}"
            if key.lower() == "count":
                if not _dynamic(value) and not (is_integer(value) and 1 <= value <= MAX_COUNT):
                    raise ctx.error(here, f"The Until 'limit.count' must be an integer from 1 to {MAX_COUNT}.")
                count = value
            elif key.lower() == "timeout":
                if not _dynamic(value) and parse_duration(value) is None:
                    raise ctx.error(here, f"The Until 'limit.timeout' value '{value}' is not an ISO 8601 duration.")
                timeout = value
            else:
                raise ctx.error(here, f"The Until 'limit' does not take '{key}'.")
    return UntilConfig(
        compiled,
        ctx.value(count, f"{limit[0]}.count" if limit else "limit.count"),
        ctx.value(timeout, f"{limit[0]}.timeout" if limit else "limit.timeout"),
        nested_actions(spec, ctx),
    )


def _dynamic(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("@")


async def run_until(config: UntilConfig, ctx: Any) -> Outcome:
    count = ctx.evaluate(config.count)
    if isinstance(count, str) and count.strip().isdigit():
        count = int(count)
    if not is_integer(count) or not 1 <= count <= MAX_COUNT:
        raise ExpressionError(f"The Until 'limit.count' of action '{ctx.action_name}' must be from 1 to {MAX_COUNT}.")
    timeout = parse_duration(ctx.evaluate(config.timeout))
    if timeout is None:
        raise ExpressionError(f"The Until 'limit.timeout' of action '{ctx.action_name}' is not an ISO 8601 duration.")
    started = ctx.now()
    iterations = 0
    status = SUCCEEDED
    while True:
        status = await ctx.run_actions(config.actions, loop=ctx.action_name, index=iterations)
        iterations += 1
        if ctx.iteration_started(config.actions, ctx.action_name, iterations):
            # Resumed: the next iteration had begun, so the condition was false here; re-evaluating it against
            # the variables as restored (a later state) could end the loop early.
            continue
        # The condition sees the iteration just run (its actions' records, its iterationIndexes).
        done = is_true(evaluate_condition(ctx, config.expression, loop=ctx.action_name, index=iterations - 1))
        if done or iterations >= count or (ctx.now() - started).total_seconds() >= timeout:
            break
    return container_outcome(status, iteration_count=iterations)


SPEC = ActionSpec("Until", compile_until, run_until, extra_fields=frozenset({"expression", "actions", "limit"}))
