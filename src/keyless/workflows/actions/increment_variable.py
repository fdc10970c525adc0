"""IncrementVariable `{name, value?}`: adds `value` (default 1) to an Integer or Float variable (§3.4)."""

from __future__ import annotations

from typing import Any

from keyless.workflows.actions._counter import step
from keyless.workflows.actions._variables import Update, compile_update
from keyless.workflows.actions.base import ActionSpec, Outcome

TYPE = "IncrementVariable"


def compile(spec: dict[str, Any], ctx: Any) -> Update:
    return compile_update(spec, ctx, value_required=False)


async def run(config: Update, ctx: Any) -> Outcome:
    return await step(config, ctx, action_type=TYPE, sign=1)


SPEC = ActionSpec(TYPE, compile, run)
