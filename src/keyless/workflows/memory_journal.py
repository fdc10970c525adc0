"""A Journal kept in memory: stateless runs and tests. It copies what it is given, as a store would serialize it,
so a later change to a live record cannot leak into the 'stored' history."""

from __future__ import annotations

import copy
from typing import Any

from keyless.workflows.journal import Checkpoint
from keyless.workflows.records import ActionRecord, RunOutcome


class JournalClosedError(RuntimeError):
    pass


class InMemoryJournal:
    def __init__(self, checkpoint: Checkpoint | None = None) -> None:
        self.checkpoint = copy.deepcopy(checkpoint) if checkpoint else Checkpoint()
        self.outcome: RunOutcome | None = None
        self.writes: list[list[ActionRecord]] = []  # each write's batch, for tests of the batching rule

    async def load(self) -> Checkpoint:
        return copy.deepcopy(self.checkpoint)

    async def write(self, records: list[ActionRecord], variables: dict[str, Any]) -> None:
        if self.outcome is not None:
            raise JournalClosedError("The run is finished; its journal takes no more writes.")
        batch = copy.deepcopy(records)
        for record in batch:
            self.checkpoint.records[record.key] = record
        self.checkpoint.variables = copy.deepcopy(variables)
        self.writes.append(batch)

    async def finish(self, outcome: RunOutcome) -> None:
        if self.outcome is not None:
            raise JournalClosedError("The run is already finished.")
        self.outcome = copy.deepcopy(outcome)

    @property
    def records(self) -> dict[str, ActionRecord]:
        return self.checkpoint.records
