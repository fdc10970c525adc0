"""The runAfter interpreter for one action map: start each action as soon as its predecessors allow, concurrently;
skip what runAfter rules out; compute the map's status from its branch ends.

One `run_graph` call per container execution (the top level, a Scope, a Foreach repetition, ...). Each started
action is an asyncio task registered in `RunState.tasks` so Terminate and run cancellation can cancel it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections import deque
from typing import Any

import keyless.workflows.run_context as run_context
from keyless.platform.errors import KeylessError
from keyless.wdl.errors import ExpressionError
from keyless.workflows.actions.base import Outcome
from keyless.workflows.compiler import LOOP_TYPES
from keyless.workflows.graph import ActionGraph, CompiledAction
from keyless.workflows.records import CANCELLED, FAILED, RUNNING, SKIPPED, SUCCEEDED, TIMED_OUT, ActionRecord
from keyless.workflows.run_state import Frame, RunState, timestamp
from keyless.workflows.status import (
    TERMINATED,
    branch_not_taken_message,
    condition_failed_message,
    dependency_failed_message,
    graph_status,
    unmet_predecessor,
)

ACTION_SKIPPED = "ActionSkipped"
BRANCH_NOT_TAKEN = "ActionBranchingConditionNotSatisfied"
CONDITION_FAILED = "ActionConditionFailed"
DEPENDENCY_FAILED = "ActionDependencyFailed"


async def run_graph(state: RunState, graph: ActionGraph, frame: Frame) -> str:
    state.last_frames[id(graph)] = frame
    done: dict[str, ActionRecord] = {}
    running: dict[asyncio.Task[ActionRecord], str] = {}
    waiting = {name: set(action.run_after) for name, action in graph.actions.items()}
    ready: deque[str] = deque(graph.roots())

    def release(name: str) -> None:
        for dependent in graph.dependents[name]:
            waiting[dependent].discard(name)
            if not waiting[dependent]:
                ready.append(dependent)

    try:
        while ready or running:
            while ready:
                name = ready.popleft()
                record = await _start_or_decide(state, graph.actions[name], frame, done, running)
                if record is not None:
                    done[name] = record
                    release(name)
            if not running:
                break
            finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                name = running.pop(task)
                state.tasks.discard(task)
                if task.cancelled():
                    # Cancelled while writing a checkpoint, outside the action's own handling: recorded here.
                    done[name] = await _cancelled_record(state, graph.actions[name], frame)
                else:
                    done[name] = task.result()
                release(name)
    except BaseException:
        # Cancelled, or an action crashed (a bug, the process stopping): nothing of this map keeps running.
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        raise
    return graph_status(graph, done)


async def _start_or_decide(
    state: RunState,
    action: CompiledAction,
    frame: Frame,
    done: dict[str, ActionRecord],
    running: dict[asyncio.Task[ActionRecord], str],
) -> ActionRecord | None:
    """Start the action (None) or return its record when it needs no execution (resumed or skipped)."""
    existing = state.finished(frame.key(action.name))
    if existing is not None:
        return existing  # finished before the checkpoint this run resumed from
    if state.stop is not None:
        # After Terminate: Skipped with code Terminated and no error object (as the cloud reports it).
        record = state.new_record(action.name, frame, SKIPPED, TERMINATED)
        record.end_time = record.start_time
        await state.finish_pure(record)
        return record
    unmet = unmet_predecessor(action.run_after, done)
    if unmet is not None:
        actual = done[unmet].status
        message = condition_failed_message(action.name, unmet, action.run_after[unmet], actual)
        record = _skipped(state, action.name, frame, CONDITION_FAILED, message)
        await state.finish_pure(record)
        for graph in action.children:
            await skip_graph(state, graph, frame, container=record)
        return record
    task = asyncio.create_task(execute_action(state, action, frame), name=f"action {frame.key(action.name)}")
    running[task] = action.name
    state.tasks.add(task)
    return None


def _skipped(
    state: RunState, name: str, frame: Frame, reason: str, message: str, code: str = ACTION_SKIPPED
) -> ActionRecord:
    record = state.new_record(name, frame, SKIPPED, code)
    record.end_time = record.start_time
    record.error = {"code": reason, "message": message}
    return record


async def skip_graph(state: RunState, graph: ActionGraph, frame: Frame, *, container: ActionRecord | None) -> None:
    """Record every action of a map that will not run: an untaken If/Switch branch (container None: the first
    level gets ActionBranchingConditionNotSatisfied) or the children of a skipped container
    (ActionDependencyFailed naming it)."""
    for action in graph.actions.values():
        if state.finished(frame.key(action.name)) is not None:
            continue
        if container is None:
            record = _skipped(state, action.name, frame, BRANCH_NOT_TAKEN, branch_not_taken_message(action.name))
        else:
            message = dependency_failed_message(action.name, container.name, container.status, container.code)
            record = _skipped(state, action.name, frame, DEPENDENCY_FAILED, message)
        await state.finish_pure(record)
        for child in action.children:
            await skip_graph(state, child, frame, container=record)


def _cancelled_outcome(state: RunState, name: str) -> Outcome:
    code = TERMINATED if state.stop == "terminated" else "Cancelled"
    reason = "the workflow run was terminated" if code == TERMINATED else "the workflow run was cancelled"
    return Outcome(
        CANCELLED,
        code,
        has_inputs=False,
        has_outputs=False,
        error={"code": code, "message": f"The execution of template action '{name}' was cancelled: {reason}."},
    )


async def _cancelled_record(state: RunState, action: CompiledAction, frame: Frame) -> ActionRecord:
    record = state.new_record(action.name, frame, CANCELLED)
    _fill(record, _cancelled_outcome(state, action.name))
    record.end_time = record.start_time
    await state.finish_pure(record)
    return record


async def execute_action(state: RunState, action: CompiledAction, frame: Frame) -> ActionRecord:
    me = asyncio.current_task()
    record = state.new_record(action.name, frame, RUNNING)
    ctx = run_context.ActionRunContext(state, action, frame.under(me), record)
    announce = _Announce(state, dataclasses.replace(record)) if action.durable else None
    try:
        outcome = await _outcome(action, ctx)
    except asyncio.CancelledError:
        if me is not None:
            me.uncancel()
        outcome = _cancelled_outcome(state, action.name)
    finally:
        if announce is not None:
            await announce.settle()
    _fill(record, outcome)
    record.end_time = timestamp(state.now())
    if record.status == FAILED:
        # A container that failed before running a nested map (its own expression failed): those actions are
        # skipped as depending on it.
        for graph in action.children:
            if not _ran(state, action, frame, graph):
                await skip_graph(state, graph, frame, container=record)
    if action.tracked_properties is not None:
        record.tracked_properties = _tracked(ctx, action, record)
    if action.durable:
        await state.checkpoint(record)
    else:
        await state.finish_pure(record)
    return record


# A side-effecting action still running after this long is written to the journal as Running (with the batch of
# pure records before it), so run history shows it; a faster one is written once, when it ends. Either way a
# resumed run executes it again unless its final record was written (at least once, as Logic Apps), and the pure
# actions before it are recomputed from the last checkpoint. The write saved is ~4 ms of every Http and Response.
RUNNING_VISIBLE_AFTER = 0.02


class _Announce:
    def __init__(self, state: RunState, record: ActionRecord) -> None:
        self.state = state
        self.record = record
        self.writing = False
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        await asyncio.sleep(RUNNING_VISIBLE_AFTER)
        self.writing = True
        await self.state.checkpoint(self.record)

    async def settle(self) -> None:
        """Before the final record: drop an announcement not yet begun, or let a begun one finish (a journal write
        is never cut in half, and the Running record must not land after the final one)."""
        if not self.writing:
            self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


def _ran(state: RunState, action: CompiledAction, frame: Frame, graph: ActionGraph) -> bool:
    inner = frame.enter(action.name, 0, None) if action.type_name.lower() in LOOP_TYPES else frame
    return any(inner.key(name) in state.records for name in graph.actions)


async def _outcome(action: CompiledAction, ctx: run_context.ActionRunContext) -> Outcome:
    if action.static_result is not None:
        return static_outcome(action.static_result)
    try:
        if action.timeout is None:
            return await action.spec.run(action.config, ctx)
        timeout = asyncio.timeout(action.timeout)
        try:
            async with timeout:
                return await action.spec.run(action.config, ctx)
        except TimeoutError:
            if not timeout.expired():
                raise
            return Outcome(
                TIMED_OUT,
                "ActionTimedOut",
                has_inputs=False,
                has_outputs=False,
                error={
                    "code": "ActionTimedOut",
                    "message": f"The execution of template action '{action.name}' is timed out: it exceeded its "
                    "'limit.timeout'.",
                },
            )
    except ExpressionError as error:
        return Outcome(
            FAILED,
            "InvalidTemplate",
            has_inputs=False,
            has_outputs=False,
            error={"code": "InvalidTemplate", "message": expression_failure_message(action.name, error.message)},
        )
    except KeylessError as error:
        return Outcome(
            FAILED,
            error.code,
            has_inputs=False,
            has_outputs=False,
            error={"code": error.code, "message": error.message},
        )


def expression_failure_message(action: str, message: str) -> str:
    """Logic Apps' wording for an expression that fails in an action's inputs. The cloud gives the line and
    column in the definition it stores; keyless has no such text, so both are 0 as in most cloud messages.
    Containers' own expressions (If, Until) word it themselves (`for action`), and are passed through."""
    if message.startswith("Unable to process template language expressions"):
        return message
    return (
        f"Unable to process template language expressions in action '{action}' inputs at line '0' and column '0': "
        f"'{message}'."
    )


def static_outcome(result: dict[str, Any]) -> Outcome:
    """`staticResults` entry: the action returns this instead of running (mocking)."""
    status = {s.lower(): s for s in (SUCCEEDED, FAILED, SKIPPED, TIMED_OUT, CANCELLED)}.get(
        str(result.get("status", "")).lower(), FAILED
    )
    outputs = result.get("outputs")
    code = result.get("code")
    if code is None and isinstance(outputs, dict):
        code = _status_code_name(outputs.get("statusCode"))
    if code is None:
        code = "OK" if status == SUCCEEDED else "ActionFailed"
    error = result.get("error")
    if error is None and status == FAILED:
        errors = outputs.get("errors") if isinstance(outputs, dict) else None
        error = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else None
        error = error or {"code": code, "message": "The static result of this action is Failed."}
    return Outcome(status, code, outputs=outputs, has_inputs=False, has_outputs=outputs is not None, error=error)


def _status_code_name(value: Any) -> str | None:
    from http import HTTPStatus

    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return HTTPStatus(value).phrase.replace(" ", "").replace("-", "")
        except ValueError:
            return str(value)
    return None


def _fill(record: ActionRecord, outcome: Outcome) -> None:
    record.status = outcome.status
    record.code = outcome.code
    record.inputs = outcome.inputs if outcome.has_inputs else None
    record.outputs = outcome.outputs if outcome.has_outputs else None
    record.has_inputs = outcome.has_inputs
    record.has_outputs = outcome.has_outputs
    record.error = outcome.error
    record.retry_history = outcome.retry_history
    record.iteration_count = outcome.iteration_count


def _tracked(ctx: run_context.ActionRunContext, action: CompiledAction, record: ActionRecord) -> dict[str, Any] | None:
    assert action.tracked_properties is not None
    view = ctx.eval_context_for(record)
    try:
        value = action.tracked_properties.evaluate(view)
    except ExpressionError as error:
        # A tracked property that cannot be computed does not change the action's outcome.
        return {"error": {"code": "InvalidTemplate", "message": error.message}}
    return value if isinstance(value, dict) else None
