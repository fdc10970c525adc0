"""AppendToArrayVariable `{name, value}`: appends one item to an Array variable (reference §3.4).

An array or null item is refused with Logic Apps' own wording (seen in real failures, code BadRequest): "The
input value is of type 'Array' which cannot be appended to the variable 'v' of type 'Array'. The action type
'AppendToArrayVariable' only supports values of types 'Float, Integer, String, Boolean, Object'." The record has
inputs `{name, value}` and no outputs (ILL), code NotSpecified.
"""

from __future__ import annotations

from typing import Any

from keyless.workflows.actions._results import NOT_SPECIFIED, succeeded
from keyless.workflows.actions._variables import (
    Update,
    VariableError,
    compile_update,
    declared_type,
    failure,
    variable_name,
)
from keyless.workflows.actions.base import ActionSpec, Outcome

TYPE = "AppendToArrayVariable"
_SUPPORTED = f"The action type '{TYPE}' only supports values of types 'Float, Integer, String, Boolean, Object'."


def compile(spec: dict[str, Any], ctx: Any) -> Update:
    return compile_update(spec, ctx, value_required=True)


async def run(config: Update, ctx: Any) -> Outcome:
    assert config.value is not None
    item = ctx.evaluate(config.value)
    inputs: dict[str, Any] = {"name": ctx.evaluate(config.name), "value": item}
    try:
        name = variable_name(ctx, config.name)
        declared = declared_type(ctx, name)
        if declared != "Array":
            raise VariableError(
                f"The variable '{name}' of type '{declared}' cannot be used by an action of type '{TYPE}'. The "
                f"action type '{TYPE}' only supports variables of type 'Array'."
            )
        if item is None:
            raise VariableError(f"The value cannot be null. {_SUPPORTED}")
        if isinstance(item, list):
            raise VariableError(
                f"The input value is of type 'Array' which cannot be appended to the variable '{name}' of type "
                f"'Array'. {_SUPPORTED}"
            )
    except VariableError as error:
        return failure(error, inputs)
    # A new list, so records that already hold the old value (an earlier SetVariable's outputs) keep it.
    ctx.variables[name] = [*ctx.variables[name], item]
    return succeeded(NOT_SPECIFIED, inputs, has_outputs=False)


SPEC = ActionSpec(TYPE, compile, run)
