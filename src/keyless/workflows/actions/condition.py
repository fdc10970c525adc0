"""If: evaluate the condition; only true runs `actions`, anything else runs `else.actions`. The branch not taken
is recorded Skipped (ActionBranchingConditionNotSatisfied). The record's inputs are `{"expressionResult": ...}`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.workflows.actions._conditions import compile_condition, evaluate_condition, is_true
from keyless.workflows.actions._container import container_outcome, field, nested_actions, refuse_operation_options
from keyless.workflows.actions.base import ActionSpec, CompileContext, Compiled, Outcome


@dataclass
class IfConfig:
    expression: Compiled
    actions: Any
    otherwise: Any


def compile_if(spec: dict[str, Any], ctx: CompileContext) -> IfConfig:
    refuse_operation_options(spec, ctx)
    if "inputs" in spec:
        raise ctx.error("inputs", f"The If action '{ctx.action_name}' takes no 'inputs'.")
    expression = field(spec, "expression")
    if expression is None:
        raise ctx.error("expression", f"The If action '{ctx.action_name}' needs an 'expression'.")
    compiled = compile_condition(expression[1], ctx, expression[0])
    actions = nested_actions(spec, ctx)
    otherwise = field(spec, "else")
    if otherwise is not None:
        if not isinstance(otherwise[1], dict) or set(k.lower() for k in otherwise[1]) - {"actions"}:
            raise ctx.error(otherwise[0], "The 'else' property must be an object with only 'actions'.")
        else_actions = nested_actions(otherwise[1], ctx, otherwise[0])
    else:
        else_actions = ctx.compile_actions({}, "else.actions")
    return IfConfig(compiled, actions, else_actions)


async def run_if(config: IfConfig, ctx: Any) -> Outcome:
    result = evaluate_condition(ctx, config.expression)
    taken, other = (config.actions, config.otherwise) if is_true(result) else (config.otherwise, config.actions)
    await ctx.skip_actions(other)
    status = await ctx.run_actions(taken)
    return container_outcome(status, inputs={"expressionResult": result}, has_inputs=True)


SPEC = ActionSpec("If", compile_if, run_if, extra_fields=frozenset({"expression", "actions", "else"}))
