"""Terminate: end the run now with `runStatus` (Failed, Cancelled or Succeeded; `runError` only with Failed).
Actions in flight are cancelled, the rest Skipped with code Terminated. Not allowed inside Foreach or Until."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.workflows.actions._container import field, refuse_operation_options
from keyless.workflows.actions.base import ActionSpec, CompileContext, Compiled, Outcome
from keyless.workflows.records import CANCELLED, FAILED, SUCCEEDED

_STATUSES = {status.lower(): status for status in (FAILED, CANCELLED, SUCCEEDED)}


@dataclass
class TerminateConfig:
    status: str
    error: Compiled | None
    inputs: Compiled


def compile_terminate(spec: dict[str, Any], ctx: CompileContext) -> TerminateConfig:
    refuse_operation_options(spec, ctx)
    for container in ctx.inside:
        if container.lower() in ("foreach", "until"):
            raise ctx.error(
                "type", f"The Terminate action '{ctx.action_name}' is not allowed inside a '{container}' action."
            )
    inputs = field(spec, "inputs")
    if inputs is None or not isinstance(inputs[1], dict):
        raise ctx.error("inputs", f"The Terminate action '{ctx.action_name}' needs 'inputs' with 'runStatus'.")
    key, raw = inputs
    for name in raw:
        if name.lower() not in ("runstatus", "runerror"):
            raise ctx.error(f"{key}.{name}", f"The Terminate action does not take the input '{name}'.")
    status = field(raw, "runStatus")
    canonical = _STATUSES.get(status[1].lower()) if status and isinstance(status[1], str) else None
    if canonical is None:
        raise ctx.error(f"{key}.runStatus", "The Terminate 'runStatus' must be 'Failed', 'Cancelled' or 'Succeeded'.")
    error = field(raw, "runError")
    compiled_error = None
    if error is not None:
        if canonical != FAILED:
            raise ctx.error(f"{key}.{error[0]}", "The Terminate 'runError' is only allowed with runStatus 'Failed'.")
        if not isinstance(error[1], dict) or set(k.lower() for k in error[1]) - {"code", "message"}:
            raise ctx.error(f"{key}.{error[0]}", "The Terminate 'runError' may only hold 'code' and 'message'.")
        compiled_error = ctx.value(error[1], f"{key}.{error[0]}")
    return TerminateConfig(canonical, compiled_error, ctx.value(raw, key))


async def run_terminate(config: TerminateConfig, ctx: Any) -> Outcome:
    inputs = ctx.evaluate(config.inputs)
    error = None
    if config.error is not None:
        raw = ctx.evaluate(config.error)
        error = {key.lower(): value for key, value in raw.items()}
        error = {k: v for k, v in (("code", error.get("code")), ("message", error.get("message"))) if v is not None}
    ctx.terminate(config.status, error)
    return Outcome(SUCCEEDED, "NotSpecified", inputs=inputs, has_outputs=False)


SPEC = ActionSpec("Terminate", compile_terminate, run_terminate)
