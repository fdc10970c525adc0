"""Run and action records: the shapes the interpreter produces and the history stores.

Field names follow what `actions('x')`/`result()` expose and what the run-history API returns (reference §3,
§4.2, §6.1): statuses Succeeded, Failed, Skipped, TimedOut, Cancelled, Running, Waiting, Aborted; codes `OK`,
`NotSpecified`, HTTP status names, `ActionFailed`, `ActionSkipped`, `Terminated`, `InvalidTemplate`, ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SUCCEEDED = "Succeeded"
FAILED = "Failed"
SKIPPED = "Skipped"
TIMED_OUT = "TimedOut"
CANCELLED = "Cancelled"
RUNNING = "Running"
WAITING = "Waiting"
ABORTED = "Aborted"

# The statuses a runAfter list may name (case-insensitive in definitions).
RUN_AFTER_STATUSES = (SUCCEEDED, FAILED, SKIPPED, TIMED_OUT)
FINISHED = frozenset({SUCCEEDED, FAILED, SKIPPED, TIMED_OUT, CANCELLED, ABORTED})


@dataclass
class ActionRecord:
    """One execution of one action. `key` identifies it within the run and is stable across a resume:
    the action's name for a top-level action or one outside loops, and for an action inside loops the name
    plus the repetition indexes, outermost first: `Compose_2#000003` or `Inner#000001-000004` (see
    `repetition_key`). `repetition` holds the indexes as {loop name: index} for the repetitions API."""

    key: str
    name: str
    status: str
    code: str
    start_time: str | None = None  # ISO 8601, 7 fractional digits, Z (records.timestamp)
    end_time: str | None = None
    inputs: Any = None
    outputs: Any = None
    has_inputs: bool = False  # Skipped actions and most control actions have no inputs/outputs links
    has_outputs: bool = False
    error: dict[str, Any] | None = None  # {"code", "message"}
    tracking_id: str = ""
    client_tracking_id: str = ""
    repetition: dict[str, int] = field(default_factory=dict)
    retry_history: list[dict[str, Any]] | None = None
    iteration_count: int | None = None  # Until: iterations run; Foreach: items
    tracked_properties: dict[str, Any] | None = None
    scheduled_time: str | None = None  # trigger records of Recurrence runs: the occurrence that fired (§6.1)

    def expression_view(self) -> dict[str, Any]:
        """What `actions('x')` and `result()` return for this record."""
        view: dict[str, Any] = {"name": self.name}
        if self.has_inputs:
            view["inputs"] = self.inputs
        if self.has_outputs:
            view["outputs"] = self.outputs
        view.update(
            {
                "startTime": self.start_time,
                "endTime": self.end_time,
                "trackingId": self.tracking_id,
                "clientTrackingId": self.client_tracking_id,
                "code": self.code,
                "status": self.status,
            }
        )
        if self.error is not None:
            view["error"] = self.error
        return view


def repetition_key(name: str, indexes: list[int]) -> str:
    if not indexes:
        return name
    return name + "#" + "-".join(f"{i:06d}" for i in indexes)


@dataclass
class RunOutcome:
    """How a run ended: its status, the run's `error` ({code, message}) and `outputs` (definition outputs)."""

    status: str
    code: str = "NotSpecified"
    error: dict[str, Any] | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
