"""Join `{from, joinWith}`: the items of `from` as text, separated by `joinWith` (reference §3.3).

Items are written as interpolation writes them (`True`, `""` for null, compact JSON for objects). Outputs
`{"body": "a,b"}`; inputs the evaluated `{from, joinWith}`; code NotSpecified like the other array operations
(Query, Select) — not confirmed against a real run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.wdl.text import to_text
from keyless.workflows.actions._collections import NotAnArray, from_array
from keyless.workflows.actions._results import BAD_REQUEST, NOT_SPECIFIED, failed, inputs_of, required, succeeded
from keyless.workflows.actions._variables import value_type
from keyless.workflows.actions.base import ActionSpec, Compiled, Outcome

TYPE = "Join"


@dataclass(frozen=True)
class Config:
    source: Compiled
    separator: Compiled


def compile(spec: dict[str, Any], ctx: Any) -> Config:
    inputs = inputs_of(spec, ctx)
    source = ctx.value(required(inputs, "from", ctx, TYPE), "inputs.from")
    separator = ctx.value(required(inputs, "joinWith", ctx, TYPE), "inputs.joinWith")
    if separator.is_constant and not isinstance(separator.evaluate(None), str):
        raise ctx.error("inputs.joinWith", f"The 'joinWith' property of action '{ctx.action_name}' must be a string.")
    return Config(source, separator)


async def run(config: Config, ctx: Any) -> Outcome:
    separator = ctx.evaluate(config.separator)
    try:
        items = from_array(ctx, config.source, "join", inputs=None)
    except NotAnArray as error:
        error.outcome.inputs = {"from": error.outcome.inputs, "joinWith": separator}
        return error.outcome
    inputs = {"from": items, "joinWith": separator}
    if not isinstance(separator, str):
        return failed(
            BAD_REQUEST,
            f"The 'joinWith' property value in the 'join' action inputs is of type '{value_type(separator)}'. The "
            "value must be a string.",
            inputs=inputs,
        )
    return succeeded(NOT_SPECIFIED, inputs, {"body": separator.join(to_text(item) for item in items)})


SPEC = ActionSpec(TYPE, compile, run)
