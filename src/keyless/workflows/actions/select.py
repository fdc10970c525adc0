"""Select `{from, select}`: maps each item of `from` through `select`, an object (keys kept, values evaluated)
or any value or expression (reference §3.3).

`item()` is the current element. The record: inputs `{"from": [...]}` (a real run's content size fits this
shape), outputs `{"body": [mapped]}` of the same length, code NotSpecified (real runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.workflows.actions._collections import NotAnArray, evaluate_for, from_array
from keyless.workflows.actions._results import NOT_SPECIFIED, inputs_of, required, succeeded
from keyless.workflows.actions.base import ActionSpec, Compiled, Outcome

TYPE = "Select"


@dataclass(frozen=True)
class Config:
    source: Compiled
    select: Compiled


def compile(spec: dict[str, Any], ctx: Any) -> Config:
    inputs = inputs_of(spec, ctx)
    source = ctx.value(required(inputs, "from", ctx, TYPE), "inputs.from")
    return Config(source, ctx.value(required(inputs, "select", ctx, TYPE), "inputs.select"))


async def run(config: Config, ctx: Any) -> Outcome:
    try:
        items = from_array(ctx, config.source, "select")
    except NotAnArray as error:
        error.outcome.inputs = {"from": error.outcome.inputs}
        return error.outcome
    mapped = [evaluate_for(ctx, config.select, item) for item in items]
    return succeeded(NOT_SPECIFIED, {"from": items}, {"body": mapped})


SPEC = ActionSpec(TYPE, compile, run)
