"""Expressions evaluated when a trigger fires, before any action runs, so their context has the trigger and the
workflow's parameters and nothing else (reference §2.1, §2.5):

- `correlation.clientTrackingId` (and `splitOnConfiguration.correlation.clientTrackingId`), evaluated once when
  the run is accepted; `@coalesce(triggerOutputs()?['headers']?['x-correlation-id'], guid())` is the usual form;
- `conditions` `[{"expression": "@..."}]`: all must be true for the trigger to fire;
- `splitOn`: an array, one run per item, each run's trigger outputs `{"body": item}`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from keyless.platform.errors import KeylessError
from keyless.wdl.errors import ExpressionError
from keyless.workflows.records import SUCCEEDED, ActionRecord

# Reference §2.5: a splitOn makes at most 100,000 runs, 100 when the trigger has a concurrency limit.
MAX_SPLIT_ITEMS = 100_000
MAX_SPLIT_ITEMS_WITH_CONCURRENCY = 100


class TriggerExpressionError(KeylessError):
    """A trigger-time expression that cannot be evaluated or has the wrong type: the trigger does not fire."""

    status = 400
    code = "InvalidTemplate"  # [unconfirmed] code of a failed trigger condition / splitOn evaluation


def trigger_view(
    name: str, inputs: Any, outputs: Any, *, start_time: str | None = None, scheduled_time: str | None = None
) -> dict[str, Any]:
    """What `trigger()` shows while the trigger fires (before the run's own record exists)."""
    from keyless.workflows import ids

    now = ids.timestamp()
    record = ActionRecord(
        key=name,
        name=name,
        status=SUCCEEDED,
        code="OK",
        start_time=start_time or now,
        end_time=now,
        inputs=inputs,
        outputs=outputs,
        has_inputs=inputs is not None and outputs is not None,
        has_outputs=outputs is not None,
        scheduled_time=scheduled_time,
    )
    return record.expression_view()


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


def conditions_met(trigger_name: str, conditions: list[Any], ctx: TriggerEvalContext) -> bool:
    """Whether every condition of the trigger is true; raises TriggerExpressionError when one cannot be evaluated
    or is not a boolean."""
    for index, condition in enumerate(conditions):
        try:
            value = condition.evaluate(ctx)
        except ExpressionError as exc:
            raise TriggerExpressionError(
                f"The template language expression of the trigger '{trigger_name}' condition {index} cannot be "
                f"evaluated: {exc}"
            ) from exc
        if value is not True and value is not False:
            from keyless.workflows.actions._variables import value_type

            raise TriggerExpressionError(
                f"The trigger '{trigger_name}' condition {index} must evaluate to a boolean; it evaluated to a "
                f"value of type '{value_type(value)}'."
            )
        if not value:
            return False
    return True


def split_items(trigger_name: str, split_on: Any, ctx: TriggerEvalContext, *, limited: bool) -> list[Any]:
    """The items `splitOn` yields: an array, at most MAX_SPLIT_ITEMS (MAX_SPLIT_ITEMS_WITH_CONCURRENCY when the
    trigger has a concurrency limit)."""
    try:
        value = split_on.evaluate(ctx)
    except ExpressionError as exc:
        raise TriggerExpressionError(
            f"The template language expression of the trigger '{trigger_name}' splitOn cannot be evaluated: {exc}"
        ) from exc
    if not isinstance(value, list):
        from keyless.workflows.actions._variables import value_type

        raise TriggerExpressionError(
            f"The 'splitOn' expression of the trigger '{trigger_name}' evaluated to a value of type "
            f"'{value_type(value)}'; it must evaluate to an array."
        )
    most = MAX_SPLIT_ITEMS_WITH_CONCURRENCY if limited else MAX_SPLIT_ITEMS
    if len(value) > most:
        limit = " with a concurrency limit" if limited else ""
        raise TriggerExpressionError(
            f"The 'splitOn' expression of the trigger '{trigger_name}' yielded {len(value)} items; a trigger"
            f"{limit} can split into at most {most} runs.",
            code="TriggerSplitOnTooManyItems",  # [unconfirmed]
        )
    return value


def fires(compiled_workflow: Any, trigger_name: str, view: dict[str, Any], workflow: dict[str, Any]) -> bool:
    """Whether the trigger's `conditions` (if any) all hold for the trigger as `view` shows it."""
    trigger = getattr(compiled_workflow, "triggers", {}).get(trigger_name)
    conditions = getattr(trigger, "conditions", None)
    if not conditions:
        return True
    ctx = TriggerEvalContext(view, compiled_workflow.parameters, workflow)
    return conditions_met(trigger_name, conditions, ctx)
