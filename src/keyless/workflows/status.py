"""Statuses from runAfter and from branch ends (reference §4.1-§4.3), and the skip messages Logic Apps writes."""

from __future__ import annotations

from collections.abc import Mapping

from keyless.workflows.graph import ActionGraph
from keyless.workflows.records import (
    ABORTED,
    CANCELLED,
    FAILED,
    SKIPPED,
    SUCCEEDED,
    TIMED_OUT,
    ActionRecord,
)

SCOPE_FAILED_MESSAGE = "An action failed. No dependent actions succeeded."
TERMINATED = "Terminated"


def unmet_predecessor(run_after: Mapping[str, tuple[str, ...]], done: Mapping[str, ActionRecord]) -> str | None:
    """The first predecessor whose status is not one runAfter allows (AND of all), or None when all are met."""
    for predecessor, allowed in run_after.items():
        if done[predecessor].status not in allowed:
            return predecessor
    return None


def condition_failed_message(action: str, predecessor: str, allowed: tuple[str, ...], actual: str) -> str:
    return (
        f"The execution of template action '{action}' is skipped: the 'runAfter' condition for action "
        f"'{predecessor}' is not satisfied. Expected status values '{', '.join(allowed)}' and actual value "
        f"'{actual}'."
    )


def branch_not_taken_message(action: str) -> str:
    return (
        f"The execution of template action '{action}' skipped: the branching condition for this action is not "
        "satisfied."
    )


def dependency_failed_message(action: str, container: str, status: str, code: str) -> str:
    return (
        f"The execution of template action '{action}' is skipped: dependant action '{container}' completed with "
        f"status '{status}' and code '{code}'."
    )


def condition_expression_message(action: str, message: str) -> str:
    """An If/Until condition that fails to evaluate (line and column unknown locally: 0)."""
    return (
        f"Unable to process template language expressions for action '{action}' at line '0' and column '0': "
        f"'{message}'."
    )


_RANK = {FAILED: 3, ABORTED: 3, TIMED_OUT: 2, CANCELLED: 1, SUCCEEDED: 0}


def graph_status(graph: ActionGraph, done: Mapping[str, ActionRecord]) -> str:
    """The status of a run or scope from its branch ends: a Skipped end takes its predecessors' outcome, then
    any Failed end (or Aborted, or a TimedOut one nothing handled) fails the whole; Cancelled only when an end was
    cancelled; else Succeeded."""
    memo: dict[str, str] = {}

    def outcome(name: str) -> str:
        if name in memo:
            return memo[name]
        record = done.get(name)
        if record is None:
            result = SUCCEEDED  # never reached (a cancelled container's children)
        elif record.status != SKIPPED:
            result = record.status
        else:
            # A Skipped end resolves to what made it skip: the worst of its predecessors.
            predecessors = graph.actions[name].run_after
            result = max((outcome(p) for p in predecessors), key=lambda s: _RANK.get(s, 0), default=SUCCEEDED)
        memo[name] = result
        return result

    worst = max((outcome(name) for name in graph.ends), key=lambda s: _RANK.get(s, 0), default=SUCCEEDED)
    if worst in (FAILED, ABORTED, TIMED_OUT):
        return FAILED
    if worst == CANCELLED:
        return CANCELLED
    return SUCCEEDED
