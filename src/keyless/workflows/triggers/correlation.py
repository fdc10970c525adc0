"""A trigger's `correlation.clientTrackingId` (reference §2.1): evaluated once when the run is accepted, before
any action runs, so its context has the trigger and the workflow's parameters and nothing else.

`@coalesce(triggerOutputs()?['headers']?['x-correlation-id'], guid())` is the usual form.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from keyless.wdl.errors import ExpressionError


class TriggerEvalContext:
    """`wdl.context.EvalContext` for expressions evaluated at trigger time."""

    def __init__(self, trigger_view: dict[str, Any], parameters: Any, workflow: dict[str, Any]) -> None:
        self._trigger = trigger_view
        self._parameters = parameters
        self._workflow = workflow

    def trigger(self) -> dict[str, Any]:
        return self._trigger

    def parameter(self, name: str) -> Any:
        if name not in self._parameters:
            raise ExpressionError(f"The workflow parameter '{name}' is not found.")
        return self._parameters[name]

    def workflow(self) -> dict[str, Any]:
        return self._workflow

    def now(self) -> datetime:
        return datetime.now(UTC)

    def new_guid(self) -> uuid.UUID:
        return uuid.uuid4()

    def _not_here(self, what: str) -> ExpressionError:
        return ExpressionError(f"The template function '{what}' is not expected at this location.")

    def action(self, name: str | None) -> dict[str, Any]:
        raise self._not_here("actions" if name else "action")

    def variable(self, name: str) -> Any:
        raise self._not_here("variables")

    def appsetting(self, name: str) -> Any:
        raise self._not_here("appsetting")

    def item(self, loop: str | None) -> Any:
        raise self._not_here("item" if loop is None else "items")

    def iteration_index(self, loop: str) -> int:
        raise self._not_here("iterationIndexes")

    def result(self, name: str) -> list[Any]:
        raise self._not_here("result")

    def list_callback_url(self) -> str:
        raise self._not_here("listCallbackUrl")


def client_tracking_id(compiled: Any, ctx: TriggerEvalContext) -> str | None:
    """The evaluated clientTrackingId as text, or None when it evaluates to null or empty."""
    value = compiled.evaluate(ctx)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    from keyless.wdl.text import to_text

    return str(to_text(value))
