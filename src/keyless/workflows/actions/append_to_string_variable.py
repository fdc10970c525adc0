"""AppendToStringVariable `{name, value}`: appends text to a String variable (reference §3.4).

Only a String value is appended; other types fail with code BadRequest in the wording Logic Apps uses for
AppendToArrayVariable (the String variant's own wording is not confirmed). The record has inputs
`{name, value}` and no outputs (ILL), code NotSpecified.
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
    value_type,
    variable_name,
)
from keyless.workflows.actions.base import ActionSpec, Outcome

TYPE = "AppendToStringVariable"
_SUPPORTED = f"The action type '{TYPE}' only supports values of types 'String'."


def compile(spec: dict[str, Any], ctx: Any) -> Update:
    return compile_update(spec, ctx, value_required=True)


async def run(config: Update, ctx: Any) -> Outcome:
    assert config.value is not None
    text = ctx.evaluate(config.value)
    inputs: dict[str, Any] = {"name": ctx.evaluate(config.name), "value": text}
    try:
        name = variable_name(ctx, config.name)
        declared = declared_type(ctx, name)
        if declared != "String":
            raise VariableError(
                f"The variable '{name}' of type '{declared}' cannot be used by an action of type '{TYPE}'. The "
                f"action type '{TYPE}' only supports variables of type 'String'."
            )
        if text is None:
            raise VariableError(f"The value cannot be null. {_SUPPORTED}")
        if not isinstance(text, str):
            raise VariableError(
                f"The input value is of type '{value_type(text)}' which cannot be appended to the variable "
                f"'{name}' of type 'String'. {_SUPPORTED}"
            )
    except VariableError as error:
        return failure(error, inputs)
    ctx.variables[name] = (ctx.variables[name] or "") + text
    return succeeded(NOT_SPECIFIED, inputs, has_outputs=False)


SPEC = ActionSpec(TYPE, compile, run)
