"""Query ("Filter array") `{from, where}`: keeps the items of `from` for which `where` is true (reference §3.3).

`item()` in `where` is the current element. The record (real runs, by content size): inputs are the evaluated
`from` array itself, outputs `{"body": [kept items]}`, code NotSpecified.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.workflows.actions._collections import NotAnArray, evaluate_for, from_array
from keyless.workflows.actions._results import BAD_REQUEST, NOT_SPECIFIED, failed, inputs_of, required, succeeded
from keyless.workflows.actions._variables import value_type
from keyless.workflows.actions.base import ActionSpec, Compiled, Outcome

TYPE = "Query"


@dataclass(frozen=True)
class Config:
    source: Compiled
    where: Compiled


def compile(spec: dict[str, Any], ctx: Any) -> Config:
    inputs = inputs_of(spec, ctx)
    source = ctx.value(required(inputs, "from", ctx, TYPE), "inputs.from")
    return Config(source, ctx.value(required(inputs, "where", ctx, TYPE), "inputs.where"))


async def run(config: Config, ctx: Any) -> Outcome:
    try:
        items = from_array(ctx, config.source, "query")
    except NotAnArray as error:
        return error.outcome
    kept = []
    for item in items:
        verdict = evaluate_for(ctx, config.where, item)
        if not isinstance(verdict, bool):
            return failed(
                BAD_REQUEST,
                f"The 'where' property value in the 'query' action inputs must evaluate to a boolean; it evaluated "
                f"to a value of type '{value_type(verdict)}'.",
                inputs=items,
            )
        if verdict:
            kept.append(item)
    return succeeded(NOT_SPECIFIED, items, {"body": kept})


SPEC = ActionSpec(TYPE, compile, run)
