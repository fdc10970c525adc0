"""Switch: the expression's value picks at most one case (integer or string, compared exactly), else `default`.
Cases not taken are recorded Skipped (ActionBranchingConditionNotSatisfied). Outputs `{"expression": value}`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.wdl.values import is_integer, type_name
from keyless.workflows.actions._container import container_outcome, field, nested_actions, refuse_operation_options
from keyless.workflows.actions.base import ActionSpec, CompileContext, Compiled, Outcome
from keyless.workflows.paths import child
from keyless.workflows.records import FAILED

MAX_CASES = 25
EVALUATION_FAILED = "ExpressionEvaluationFailed"


@dataclass
class Case:
    name: str
    value: int | str
    actions: Any


@dataclass
class SwitchConfig:
    expression: Compiled
    source: Any  # the expression as written, quoted in the failure message
    cases: list[Case]
    default: Any


def compile_switch(spec: dict[str, Any], ctx: CompileContext) -> SwitchConfig:
    refuse_operation_options(spec, ctx)
    if "inputs" in spec:
        raise ctx.error("inputs", f"The Switch action '{ctx.action_name}' takes no 'inputs'.")
    expression = field(spec, "expression")
    if expression is None:
        raise ctx.error("expression", f"The Switch action '{ctx.action_name}' needs an 'expression'.")
    compiled = ctx.value(expression[1], expression[0])
    found = field(spec, "cases")
    cases_key, raw_cases = found if found else ("cases", {})
    if not isinstance(raw_cases, dict):
        raise ctx.error(cases_key, "The 'cases' property must be an object.")
    if len(raw_cases) > MAX_CASES:
        raise ctx.error(cases_key, f"The Switch action '{ctx.action_name}' has more than {MAX_CASES} cases.")
    cases: list[Case] = []
    seen: dict[Any, str] = {}
    for name, raw in raw_cases.items():
        here = child(cases_key, name)
        if not isinstance(raw, dict) or set(k.lower() for k in raw) - {"case", "actions"}:
            raise ctx.error(here, f"The case '{name}' must be an object with 'case' and 'actions'.")
        value = field(raw, "case")
        if value is None or not (is_integer(value[1]) or isinstance(value[1], str)):
            raise ctx.error(child(here, "case"), f"The 'case' value of case '{name}' must be an integer or a string.")
        if isinstance(value[1], str) and value[1].startswith("@"):
            raise ctx.error(
                child(here, "case"), f"The 'case' value of case '{name}' must be a constant, not an expression."
            )
        key = (type(value[1]).__name__, value[1])
        if key in seen:
            raise ctx.error(
                child(here, "case"),
                f"The cases '{seen[key]}' and '{name}' of action '{ctx.action_name}' have the same value.",
            )
        seen[key] = name
        cases.append(Case(name, value[1], nested_actions(raw, ctx, here)))
    default = field(spec, "default")
    if default is not None:
        if not isinstance(default[1], dict) or set(k.lower() for k in default[1]) - {"actions"}:
            raise ctx.error(default[0], "The 'default' property must be an object with only 'actions'.")
        default_actions = nested_actions(default[1], ctx, default[0])
    else:
        default_actions = ctx.compile_actions({}, "default.actions")
    return SwitchConfig(compiled, expression[1], cases, default_actions)


def _matches(value: Any, case: int | str) -> bool:
    if isinstance(case, str):
        return isinstance(value, str) and value == case
    return is_integer(value) and value == case


async def run_switch(config: SwitchConfig, ctx: Any) -> Outcome:
    value = ctx.evaluate(config.expression)
    if not (is_integer(value) or isinstance(value, str)):
        # The cloud's code and wording for a switch value that is neither a string nor an integer.
        message = (
            f"The execution of template action '{ctx.action_name}' failed: The result of the evaluation of 'scope' "
            f"action expression '{config.source}' is not valid. It is of type '{type_name(value)}' but is expected "
            "to be a value of type 'String, Integer'."
        )
        return Outcome(
            FAILED,
            EVALUATION_FAILED,
            has_inputs=False,
            has_outputs=False,
            error={"code": EVALUATION_FAILED, "message": message},
        )
    chosen = next((case.actions for case in config.cases if _matches(value, case.value)), config.default)
    for branch in [case.actions for case in config.cases] + [config.default]:
        if branch is not chosen:
            await ctx.skip_actions(branch)
    status = await ctx.run_actions(chosen)
    return container_outcome(status, outputs={"expression": value}, has_outputs=True)


SPEC = ActionSpec("Switch", compile_switch, run_switch, extra_fields=frozenset({"expression", "cases", "default"}))
