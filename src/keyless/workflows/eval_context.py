"""The EvalContext (wdl/context.py) of a run: what `actions()`, `item()`, `variables()`, ... see from one action.

An action inside loops sees the records of the same repetition (`body('Inner')` in repetition 3 is repetition
3's); an action outside a loop that references one inside sees the latest finished repetition.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from keyless.wdl.errors import ExpressionError
from keyless.workflows.records import ActionRecord
from keyless.workflows.run_state import NO_ITEM, Frame, RunState


class RunEvalContext:
    def __init__(self, state: RunState, frame: Frame, current: str | None = None, item: Any = NO_ITEM) -> None:
        self.state = state
        self.frame = frame
        self.from_item = item  # Query/Select/Table: `item()` is the current element of `from`
        self.current = current  # the action evaluating, for `action()`
        self.current_record: ActionRecord | None = None  # set for trackedProperties (`action()` = the finished one)

    def trigger(self) -> dict[str, Any]:
        return self.state.trigger.expression_view()

    def record(self, name: str) -> ActionRecord | None:
        action = self.state.workflow.action(name)
        if action is None:
            return None
        loops = action.loops
        if self.frame.loop_names[: len(loops)] == loops:
            record = self.state.records.get(self.frame.key(action.name, len(loops)))
            if record is not None:
                return record
        return self.state.latest.get(name.lower())

    def action(self, name: str | None) -> dict[str, Any]:
        if name is None:
            if self.current_record is not None:
                return self.current_record.expression_view()
            if self.current is None:
                raise ExpressionError("The template function 'action' is not expected at this location.")
            name = self.current
        if self.state.workflow.action(name) is None:
            raise ExpressionError(f"The template action '{name}' is not defined or not valid.")
        record = self.record(name)
        if record is None:
            raise ExpressionError(
                f"The template action '{name}' is not valid: the action has not run yet, so its results cannot be "
                "referenced here."
            )
        return record.expression_view()

    def variable(self, name: str) -> Any:
        if name not in self.state.variables:
            raise ExpressionError(f"The workflow variable '{name}' is not initialized.")
        return self.state.variables[name]

    def parameter(self, name: str) -> Any:
        parameters = self.state.workflow.parameters
        if name not in parameters:
            raise ExpressionError(f"The workflow parameter '{name}' is not found.")
        return parameters[name]

    def appsetting(self, name: str) -> Any:
        value = self.state.host.appsetting(name)
        if value is None:
            raise ExpressionError(f"The app setting '{name}' is not found.")
        return value

    def item(self, loop: str | None) -> Any:
        if loop is None and self.from_item is not NO_ITEM:
            return self.from_item
        for repetition in reversed(self.frame.repetitions):
            if repetition.item is NO_ITEM:
                continue
            if loop is None or repetition.loop.lower() == loop.lower():
                return repetition.item
        if loop is None:
            raise ExpressionError(
                "The template language function 'item' must be used inside a 'foreach' loop (or 'from' of a Query "
                "or Select action)."
            )
        raise ExpressionError(
            f"The template language function 'items' cannot be evaluated: the action '{loop}' is not a 'foreach' "
            "loop enclosing this action."
        )

    def iteration_index(self, loop: str) -> int:
        for repetition in reversed(self.frame.repetitions):
            if repetition.loop.lower() == loop.lower() and repetition.item is NO_ITEM:
                return repetition.index
        raise ExpressionError(
            f"The template language function 'iterationIndexes' cannot be evaluated: the action '{loop}' is not an "
            "'until' loop enclosing this action."
        )

    def result(self, name: str) -> list[Any]:
        action = self.state.workflow.action(name)
        if action is None:
            raise ExpressionError(f"The template action '{name}' is not defined or not valid.")
        if not action.children:
            raise ExpressionError(
                f"The template language function 'result' expects a scope, foreach, until, if or switch action: "
                f"'{name}' is not one."
            )
        names = [child for graph in action.children for child in graph.actions]
        in_loop = action.type_name.lower() in ("foreach", "until")
        views: list[Any] = []
        for child_name in names:
            if in_loop:
                # A loop's entry per first-level action: its latest record, with `outputs` listing every
                # repetition's record in order (reference §4.3).
                rows = [r for r in self.state.records.values() if r.name == child_name and action.name in r.repetition]
                if not rows:
                    continue
                rows.sort(key=lambda r: r.key)
                entry = rows[-1].expression_view()
                entry.pop("inputs", None)
                entry["outputs"] = [r.expression_view() for r in rows]
                entry["repetitionCount"] = len(rows)
                views.append(entry)
            else:
                record = self.record(child_name)
                if record is not None:
                    views.append(record.expression_view())
        return views

    def workflow(self) -> dict[str, Any]:
        info = self.state.info
        return {
            "id": info.workflow_id,
            "name": info.workflow_name,
            "type": info.workflow_type,
            "location": info.location,
            "tags": dict(info.tags),
            "run": {"id": info.run_resource_id, "name": info.run_name, "type": f"{info.workflow_type}/runs"},
        }

    def list_callback_url(self) -> str:
        if self.state.info.callback_url is None:
            raise ExpressionError(
                "The template function 'listCallbackUrl' is not valid here: the run has no callback URL."
            )
        return self.state.info.callback_url

    def now(self) -> datetime:
        return self.state.now()

    def new_guid(self) -> uuid.UUID:
        return uuid.uuid4()
