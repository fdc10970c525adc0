"""What the control actions share: the nested `actions` map, and the outcome of a container from its status."""

from __future__ import annotations

from typing import Any

from keyless.workflows.actions.base import CompileContext, Outcome
from keyless.workflows.paths import child
from keyless.workflows.records import CANCELLED, FAILED, SUCCEEDED
from keyless.workflows.status import SCOPE_FAILED_MESSAGE


def field(spec: dict[str, Any], name: str) -> tuple[str, Any] | None:
    """(the key as written, value) for a field matched ignoring case."""
    for key, value in spec.items():
        if key.lower() == name.lower():
            return key, value
    return None


def refuse_operation_options(spec: dict[str, Any], ctx: CompileContext, allowed: frozenset[str] = frozenset()) -> None:
    """Control actions take no operation options but these (Foreach: Sequential); others fail loudly."""
    found = field(spec, "operationOptions")
    if found is None or not isinstance(found[1], str):
        return
    for option in (part.strip() for part in found[1].split(",")):
        if option and option.lower() not in allowed:
            raise ctx.error(
                found[0],
                f"The operation option '{option}' of action '{ctx.action_name}' is not supported by keyless for this "
                "action type.",
            )


def nested_actions(spec: dict[str, Any], ctx: CompileContext, path: str = "") -> Any:
    """Compile the `actions` map of `spec`, which sits at `path` within the action ("" for the action itself,
    `else`, `cases.Case_1`); an absent map is an empty one."""
    found = field(spec, "actions")
    key, raw = found if found is not None else ("actions", {})
    here = child(path, key) if path else key
    if not isinstance(raw, dict):
        raise ctx.error(here, "The 'actions' property must be an object.")
    return ctx.compile_actions(raw, here)


def container_outcome(status: str, **extra: Any) -> Outcome:
    """A container's record from its children's status: Failed -> ActionFailed (reference §3.5)."""
    if status == SUCCEEDED:
        return Outcome(SUCCEEDED, "NotSpecified", **{"has_inputs": False, "has_outputs": False, **extra})
    if status == CANCELLED:
        return Outcome(CANCELLED, "Cancelled", **{"has_inputs": False, "has_outputs": False, **extra})
    return Outcome(
        FAILED,
        "ActionFailed",
        error={"code": "ActionFailed", "message": SCOPE_FAILED_MESSAGE},
        **{"has_inputs": False, "has_outputs": False, **extra},
    )
