"""The RunContext (actions/base.py) one action execution sees: evaluation in its scope, variables, nested maps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import keyless.workflows.scheduler as scheduler
from keyless.workflows.actions.base import Compiled
from keyless.workflows.eval_context import RunEvalContext
from keyless.workflows.graph import ActionGraph, CompiledAction
from keyless.workflows.records import ActionRecord
from keyless.workflows.run_state import NO_ITEM, Frame, RunState


class ActionRunContext:
    def __init__(self, state: RunState, action: CompiledAction, frame: Frame, record: ActionRecord) -> None:
        self.state = state
        self.action = action
        self.frame = frame  # includes this action's own task among the ancestors
        self.record = record
        self.action_name = action.name
        self.host = state.host
        self._eval = RunEvalContext(state, frame, action.name)
        self._eval.current_record = record  # `action()` while running: this (Running) record

    @property
    def eval_context(self) -> RunEvalContext:
        return self._eval

    def evaluate(
        self, compiled: Compiled, *, item: Any = NO_ITEM, loop: str | None = None, index: int | None = None
    ) -> Any:
        """`item` sets `item()` (Query/Select's current `from` element); `loop`/`index` evaluate as inside that
        loop's iteration (Until's condition sees `iterationIndexes`)."""
        if loop is None and item is NO_ITEM:
            return compiled.evaluate(self._eval)
        frame = self.frame if loop is None else self.frame.enter(loop, index or 0, NO_ITEM)
        inner = RunEvalContext(self.state, frame, self.action_name, item)
        inner.current_record = self.record
        return compiled.evaluate(inner)

    def eval_context_for(self, record: ActionRecord) -> RunEvalContext:
        view = RunEvalContext(self.state, self.frame, self.action_name)
        view.current_record = record
        return view

    @property
    def variables(self) -> Any:
        return self.state.variables

    @property
    def variable_types(self) -> Any:
        return self.state.variable_types

    def now(self) -> datetime:
        return self.state.now()

    async def run_actions(
        self, children: ActionGraph, *, item: Any = NO_ITEM, loop: str | None = None, index: int | None = None
    ) -> str:
        frame = self.frame if loop is None else self.frame.enter(loop, index or 0, item)
        return await scheduler.run_graph(self.state, children, frame)

    async def skip_actions(self, children: ActionGraph) -> None:
        """An If/Switch branch not taken: its actions are Skipped (ActionBranchingConditionNotSatisfied)."""
        await scheduler.skip_graph(self.state, children, self.frame, container=None)

    def records(self, children: ActionGraph) -> list[ActionRecord]:
        frame = self.state.last_frames.get(id(children), self.frame)
        found = (self.state.records.get(frame.key(name)) for name in children.actions)
        return [record for record in found if record is not None]

    def iteration_started(self, children: ActionGraph, loop: str, index: int) -> bool:
        """Whether the journal this run resumed from holds records of that loop iteration (so it was reached)."""
        frame = self.frame.enter(loop, index, NO_ITEM)
        return any(frame.key(name) in self.state.records for name in children.actions)

    def terminate(self, status: str, error: dict[str, Any] | None) -> None:
        if self.state.stop is not None:
            return
        self.state.stop = "terminated"
        self.state.termination = (status, error)
        self.state.cancel_all(keep=self.frame.ancestors)

    async def checkpoint(self) -> None:
        await self.state.checkpoint()
