"""SetVariable `{name, value}`: replaces a declared variable's value (reference §3.4).

Type rules in `_variables.coerce` (a Float variable takes an Integer; String, Array and Object take null). The
record: inputs `{name, value}`, outputs `{"body": {name, value}}` with the stored value, code NotSpecified.
"""

from __future__ import annotations

from typing import Any

from keyless.workflows.actions._results import NOT_SPECIFIED, succeeded
from keyless.workflows.actions._variables import (
    Update,
    VariableError,
    coerce,
    compile_update,
    declared_type,
    failure,
    variable_name,
)
from keyless.workflows.actions.base import ActionSpec, Outcome


def compile(spec: dict[str, Any], ctx: Any) -> Update:
    return compile_update(spec, ctx, value_required=True)


async def run(config: Update, ctx: Any) -> Outcome:
    assert config.value is not None
    inputs: dict[str, Any] = {"name": ctx.evaluate(config.name), "value": ctx.evaluate(config.value)}
    try:
        name = variable_name(ctx, config.name)
        stored = coerce(name, declared_type(ctx, name), inputs["value"], initializing=False)
    except VariableError as error:
        return failure(error, inputs)
    ctx.variables[name] = stored
    return succeeded(NOT_SPECIFIED, inputs, {"body": {"name": name, "value": stored}})


SPEC = ActionSpec("SetVariable", compile, run)
