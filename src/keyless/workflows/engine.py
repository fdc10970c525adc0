"""One run of a compiled workflow: `execute_run(workflow, run, trigger, journal, host)` -> RunOutcome.

The run resumes from `journal.load()` (finished records reused, variables restored), drives the top-level
action map through the scheduler, and ends with the run's status from its branch ends (or Terminate's, or
Cancelled), the definition's outputs evaluated, the last batch written and `journal.finish(outcome)`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from keyless.wdl.errors import ExpressionError
from keyless.workflows.definition import CompiledWorkflow
from keyless.workflows.eval_context import RunEvalContext
from keyless.workflows.host import RunHost
from keyless.workflows.journal import Journal
from keyless.workflows.memory_journal import InMemoryJournal
from keyless.workflows.records import CANCELLED, FAILED, ActionRecord, RunOutcome
from keyless.workflows.run_state import Frame, RunInfo, RunState
from keyless.workflows.scheduler import run_graph
from keyless.workflows.status import SCOPE_FAILED_MESSAGE

__all__ = ["InMemoryJournal", "RunInfo", "execute_run"]


async def execute_run(
    workflow: CompiledWorkflow,
    run: RunInfo,
    trigger: ActionRecord,
    journal: Journal,
    host: RunHost,
    *,
    cancel: asyncio.Event | None = None,
) -> RunOutcome:
    checkpoint = await journal.load()
    state = RunState(workflow, run, trigger, journal, host, checkpoint)
    main = asyncio.create_task(run_graph(state, workflow.actions, Frame()), name=f"run {run.run_name}")
    watcher = asyncio.create_task(cancel.wait()) if cancel is not None else None
    try:
        if watcher is not None:
            await asyncio.wait({main, watcher}, return_when=asyncio.FIRST_COMPLETED)
            if not main.done():
                # Cancelled from outside: running actions end Cancelled, the rest are skipped.
                state.stop = "cancelled"
                state.cancel_all()
        status = await main
    finally:
        if watcher is not None:
            watcher.cancel()
        if not main.done():
            main.cancel()
    outcome = _outcome(state, status)
    outcome.outputs = _outputs(state)
    if state.pending:
        await state.checkpoint()
    await journal.finish(outcome)
    return outcome


def _outcome(state: RunState, status: str) -> RunOutcome:
    if state.termination is not None:
        run_status, error = state.termination
        if run_status == FAILED:
            error = dict(error) if error else {}
            error.setdefault("code", "Terminated")
            error.setdefault("message", "The run was terminated with status 'Failed'.")
            return RunOutcome(FAILED, error["code"], error)
        return RunOutcome(run_status, "Terminated" if run_status == CANCELLED else "NotSpecified")
    if state.stop == "cancelled":
        return RunOutcome(CANCELLED, "Cancelled", {"code": "Cancelled", "message": "The run was cancelled."})
    if status == FAILED:
        return RunOutcome(FAILED, "ActionFailed", {"code": "ActionFailed", "message": SCOPE_FAILED_MESSAGE})
    return RunOutcome(status)


def _outputs(state: RunState) -> dict[str, Any]:
    ctx = RunEvalContext(state, Frame())
    outputs: dict[str, Any] = {}
    for name, output in state.workflow.outputs.items():
        try:
            outputs[name] = {"type": output.type, "value": output.value.evaluate(ctx)}
        except ExpressionError as error:
            outputs[name] = {"type": output.type, "error": {"code": "InvalidTemplate", "message": error.message}}
    return outputs
