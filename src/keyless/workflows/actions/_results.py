"""Outcome builders shared by the data, variable, Response, Wait and Workflow actions.

A failure the action itself detects (a value of the wrong type, a schema mismatch) is an `Outcome` with status
Failed and an `error {code, message}`; expression failures are raised as ExpressionError and recorded by the
interpreter instead.
"""

from __future__ import annotations

from typing import Any

from keyless.workflows.actions.base import Outcome
from keyless.workflows.records import FAILED, SUCCEEDED

OK = "OK"
NOT_SPECIFIED = "NotSpecified"
BAD_REQUEST = "BadRequest"


def succeeded(code: str, inputs: Any, outputs: Any = None, *, has_outputs: bool = True) -> Outcome:
    return Outcome(SUCCEEDED, code, inputs=inputs, outputs=outputs, has_outputs=has_outputs)


def failed(
    code: str,
    message: str,
    *,
    inputs: Any = None,
    has_inputs: bool = True,
    outputs: Any = None,
    has_outputs: bool = False,
    error_code: str | None = None,
) -> Outcome:
    """A Failed outcome whose record `code` is `code` and whose `error.code` is `error_code` (default: the same)."""
    return Outcome(
        FAILED,
        code,
        inputs=inputs,
        outputs=outputs,
        has_inputs=has_inputs,
        has_outputs=has_outputs,
        error={"code": error_code or code, "message": message},
    )


def inputs_of(spec: dict[str, Any], ctx: Any, *, kind: str = "object") -> Any:
    """The action's `inputs`, refused at save time when missing or (for `kind="object"`) not an object."""
    if "inputs" not in spec:
        raise ctx.error("inputs", f"The action '{ctx.action_name}' of type '{spec.get('type')}' requires 'inputs'.")
    raw = spec["inputs"]
    if kind == "object" and not isinstance(raw, dict):
        raise ctx.error(
            "inputs", f"The 'inputs' of action '{ctx.action_name}' of type '{spec.get('type')}' must be an object."
        )
    return raw


def required(inputs: dict[str, Any], name: str, ctx: Any, type_name: str) -> Any:
    """`inputs[name]`, refused at save time when absent."""
    if name not in inputs:
        raise ctx.error(
            f"inputs.{name}",
            f"The '{name}' property of action '{ctx.action_name}' of type '{type_name}' is required.",
        )
    return inputs[name]
