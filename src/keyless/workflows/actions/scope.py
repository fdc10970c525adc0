"""Scope: runs its actions; its status comes from their branch ends (Failed -> code ActionFailed)."""

from __future__ import annotations

from typing import Any

from keyless.workflows.actions._container import container_outcome, nested_actions, refuse_operation_options
from keyless.workflows.actions.base import ActionSpec, CompileContext, Outcome


def compile_scope(spec: dict[str, Any], ctx: CompileContext) -> Any:
    refuse_operation_options(spec, ctx)
    if "inputs" in spec:
        raise ctx.error("inputs", f"The Scope action '{ctx.action_name}' takes no 'inputs'.")
    return nested_actions(spec, ctx)


async def run_scope(children: Any, ctx: Any) -> Outcome:
    return container_outcome(await ctx.run_actions(children))


SPEC = ActionSpec("Scope", compile_scope, run_scope, extra_fields=frozenset({"actions"}))
