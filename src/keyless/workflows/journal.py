"""The interpreter's checkpoint and history interface (implemented by workflows/history.py on the store).

The interpreter keeps finished pure actions (Compose, variables, conditions: no side effects, no durable step
of their own) in memory and hands them over in batches: before a side-effecting action starts (with that
action as a Running record), when it finishes, and when the run ends. Each `write` is one transaction that also
stores the variables as they stand, so a resumed run sees exactly the state of its last checkpoint.

On resume the interpreter calls `load()`: records whose status is finished are not executed again (their
results are reused, `actions('x')` sees them); a Running record of a side-effecting action is executed again
(at least once, as Logic Apps); the variables come back from the snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from keyless.workflows.records import ActionRecord, RunOutcome


@dataclass
class Checkpoint:
    records: dict[str, ActionRecord] = field(default_factory=dict)  # by ActionRecord.key
    variables: dict[str, Any] = field(default_factory=dict)  # as the last write left them (original-case names)
    # The Response action's answer if one was already given (a resumed run must not answer twice).
    response_sent: bool = False


class Journal(Protocol):
    async def load(self) -> Checkpoint: ...

    async def write(self, records: list[ActionRecord], variables: dict[str, Any]) -> None:
        """Insert or replace these records (by key) and store the variables; one transaction."""
        ...

    async def finish(self, outcome: RunOutcome) -> None:
        """The run is over: its status, error and outputs are stored; later writes are refused."""
        ...
