"""What AppendToArrayVariable and AppendToStringVariable share: the variable's type, the value's, the record.

Each module names the variable type it appends to, the value types it takes (for Logic Apps' message) and how
the value joins the variable. The record has inputs `{name, value}` and no outputs (ILL), code NotSpecified;
refusals are code BadRequest in Logic Apps' wording (seen in real AppendToArrayVariable failures).
"""

from __future__ import annotations

from collections.abc import Callable
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


def append_spec(
    type_name: str,
    variable_type: str,
    value_types: str,
    *,
    refuses: Callable[[Any], bool],
    join: Callable[[Any, Any], Any],
) -> ActionSpec:
    supported = f"The action type '{type_name}' only supports values of types '{value_types}'."

    def compile(spec: dict[str, Any], ctx: Any) -> Update:
        return compile_update(spec, ctx, value_required=True)

    async def run(config: Update, ctx: Any) -> Outcome:
        assert config.value is not None
        value = ctx.evaluate(config.value)
        inputs: dict[str, Any] = {"name": ctx.evaluate(config.name), "value": value}
        try:
            name = variable_name(ctx, config.name)
            declared = declared_type(ctx, name)
            if declared != variable_type:
                raise VariableError(
                    f"The variable '{name}' of type '{declared}' cannot be used by an action of type '{type_name}'. "
                    f"The action type '{type_name}' only supports variables of type '{variable_type}'."
                )
            if value is None:
                raise VariableError(f"The value cannot be null. {supported}")
            if refuses(value):
                raise VariableError(
                    f"The input value is of type '{value_type(value)}' which cannot be appended to the variable "
                    f"'{name}' of type '{variable_type}'. {supported}"
                )
        except VariableError as error:
            return failure(error, inputs)
        ctx.variables[name] = join(ctx.variables[name], value)
        return succeeded(NOT_SPECIFIED, inputs, has_outputs=False)

    return ActionSpec(type_name, compile, run)
