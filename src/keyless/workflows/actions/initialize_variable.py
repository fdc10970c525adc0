"""InitializeVariable: declares one run variable `{name, type, value?}` (reference §3.4).

Only at the top level of a definition (a container refuses it at save time), one variable per action (Logic Apps'
save-time error `WorkflowRunActionInputsInvalidProperty`). The record has inputs
`{"variables": [{name, type, value}]}` with the value as stored (a missing value shows as the type's default),
no outputs, code NotSpecified (real runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.workflows.actions._results import NOT_SPECIFIED, failed, inputs_of, succeeded
from keyless.workflows.actions._variables import TYPES, VariableError, coerce, failure
from keyless.workflows.actions.base import ActionSpec, Compiled, Outcome

TYPE = "InitializeVariable"


@dataclass(frozen=True)
class Config:
    name: str
    type_written: str  # as the definition spells it (`integer`), recorded in inputs
    type_name: str  # canonical (`Integer`)
    value: Compiled | None


def compile(spec: dict[str, Any], ctx: Any) -> Config:
    if ctx.inside:
        raise ctx.error(
            "type",
            f"The action '{ctx.action_name}' of type '{TYPE}' is inside a '{ctx.inside[-1]}' action. Variables "
            "can only be initialized at the top level of the workflow, not inside scopes, conditions or loops.",
        )
    inputs = inputs_of(spec, ctx)
    entries = inputs.get("variables")
    if not isinstance(entries, list) or not entries:
        raise ctx.error(
            "inputs.variables",
            f"The inputs of workflow run action '{ctx.action_name}' of type '{TYPE}' are not valid: 'variables' "
            "must be an array with one variable.",
        )
    if len(entries) > 1:
        error = ctx.error(
            "inputs.variables",
            f"The inputs of workflow run action '{ctx.action_name}' of type '{TYPE}' are not valid. Only one "
            "variable is supported to be initialized. To initialize multiple variables, create separate action "
            "for each variable.",
        )
        error.code = "WorkflowRunActionInputsInvalidProperty"
        raise error
    entry = entries[0]
    if not isinstance(entry, dict):
        raise ctx.error("inputs.variables[0]", "A variable must be an object with 'name', 'type' and 'value'.")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ctx.error("inputs.variables[0].name", "The variable 'name' must be a non-empty string.")
    written = entry.get("type")
    type_name = TYPES.get(written.lower()) if isinstance(written, str) else None
    if type_name is None:
        raise ctx.error(
            "inputs.variables[0].type",
            f"The type '{written}' of variable '{name}' is not valid. The supported types are 'Boolean', "
            "'Integer', 'Float', 'String', 'Object' and 'Array'.",
        )
    value = ctx.value(entry["value"], "inputs.variables[0].value") if "value" in entry else None
    return Config(name, written, type_name, value)


async def run(config: Config, ctx: Any) -> Outcome:
    raw = None if config.value is None else ctx.evaluate(config.value)
    inputs = {"variables": [{"name": config.name, "type": config.type_written, "value": raw}]}
    if config.name in ctx.variables:
        return failed(
            "BadRequest",
            f"The variable '{config.name}' has already been initialized; a variable can be initialized only once.",
            inputs=inputs,
        )
    try:
        value = coerce(config.name, config.type_name, raw, initializing=True)
    except VariableError as error:
        return failure(error, inputs)
    ctx.variables[config.name] = value
    ctx.variable_types[config.name] = config.type_name
    inputs["variables"][0]["value"] = value
    return succeeded(NOT_SPECIFIED, inputs, has_outputs=False)


SPEC = ActionSpec(TYPE, compile, run)
