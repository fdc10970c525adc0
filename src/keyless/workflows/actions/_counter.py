"""IncrementVariable and DecrementVariable: add or subtract `value` (default 1) on an Integer or Float variable.

The record (real runs, by content size): inputs `{name, value}` with the step, outputs `{"body": {name, value}}`
with the new value, code NotSpecified. An Integer variable stays an Integer, so a Float step on it fails as
SetVariable would.
"""

from __future__ import annotations

from typing import Any

from keyless.wdl.values import INT64_MAX, INT64_MIN
from keyless.workflows.actions._results import NOT_SPECIFIED, succeeded
from keyless.workflows.actions._variables import (
    Update,
    VariableError,
    declared_type,
    failure,
    mismatch,
    value_type,
    variable_name,
)
from keyless.workflows.actions.base import Outcome


async def step(config: Update, ctx: Any, *, action_type: str, sign: int) -> Outcome:
    amount = 1 if config.value is None else ctx.evaluate(config.value)
    inputs: dict[str, Any] = {"name": ctx.evaluate(config.name), "value": amount}
    try:
        name = variable_name(ctx, config.name)
        declared = declared_type(ctx, name)
        if declared not in ("Integer", "Float"):
            raise VariableError(
                f"The variable '{name}' of type '{declared}' cannot be used by an action of type '{action_type}'. "
                f"The action type '{action_type}' only supports variables of types 'Integer, Float'."
            )
        kind = value_type(amount)
        if kind not in ("Integer", "Float") or (declared == "Integer" and kind != "Integer"):
            raise mismatch(name, declared, amount)
        current = ctx.variables[name]
        if declared == "Float":  # a decimal() value is a Float here; float arithmetic as .NET doubles
            new: Any = float(current) + sign * float(amount)
        else:
            new = current + sign * amount
        if declared == "Integer" and not INT64_MIN <= new <= INT64_MAX:
            raise VariableError(f"The value of the Integer variable '{name}' would overflow a 64-bit integer.")
    except VariableError as error:
        return failure(error, inputs)
    ctx.variables[name] = new
    return succeeded(NOT_SPECIFIED, inputs, {"body": {"name": name, "value": new}})
