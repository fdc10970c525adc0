"""The state of one run while the interpreter drives it: records, variables, pending checkpoint batch, stop flag.

`Frame` is where an action runs: the enclosing loop repetitions (Foreach item/index, Until iteration) and the
tasks of the enclosing containers (which Terminate must not cancel).
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from keyless.workflows.casefold import CaseInsensitiveDict
from keyless.workflows.definition import CompiledWorkflow
from keyless.workflows.host import RunHost
from keyless.workflows.journal import Checkpoint, Journal
from keyless.workflows.records import FINISHED, ActionRecord, repetition_key

NO_ITEM: Any = object()  # a repetition without item() (Until)


def utc_now() -> datetime:
    return datetime.now(UTC)


def timestamp(moment: datetime) -> str:
    """ISO 8601 with 7 fractional digits and Z, as Logic Apps writes times."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


@dataclass
class RunInfo:
    """Who and what the run is: `workflow()` and record fields come from here."""

    run_name: str
    workflow_id: str = ""
    workflow_name: str = ""
    location: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    client_tracking_id: str | None = None  # defaults to the run name
    workflow_type: str = "Microsoft.Logic/workflows"
    run_id: str | None = None  # defaults to `<workflow_id>/runs/<run_name>`
    version: str = ""  # the workflow version the run uses
    callback_url: str | None = None  # listCallbackUrl()
    clock: Callable[[], datetime] = utc_now  # tests pin it

    @property
    def tracking_id(self) -> str:
        return self.client_tracking_id or self.run_name

    @property
    def run_resource_id(self) -> str:
        return self.run_id or f"{self.workflow_id}/runs/{self.run_name}"


@dataclass(frozen=True)
class Repetition:
    loop: str  # as the definition spells it
    index: int
    item: Any = NO_ITEM


@dataclass(frozen=True)
class Frame:
    repetitions: tuple[Repetition, ...] = ()
    ancestors: frozenset[asyncio.Task[Any]] = frozenset()

    @property
    def indexes(self) -> list[int]:
        return [r.index for r in self.repetitions]

    @property
    def loop_names(self) -> tuple[str, ...]:
        return tuple(r.loop.lower() for r in self.repetitions)

    def repetition(self) -> dict[str, int]:
        return {r.loop: r.index for r in self.repetitions}

    def enter(self, loop: str, index: int, item: Any) -> Frame:
        return dataclasses.replace(self, repetitions=(*self.repetitions, Repetition(loop, index, item)))

    def under(self, task: asyncio.Task[Any] | None) -> Frame:
        return self if task is None else dataclasses.replace(self, ancestors=self.ancestors | {task})

    def key(self, name: str, depth: int | None = None) -> str:
        indexes = self.indexes if depth is None else self.indexes[:depth]
        return repetition_key(name, indexes)


class RunState:
    def __init__(
        self,
        workflow: CompiledWorkflow,
        info: RunInfo,
        trigger: ActionRecord,
        journal: Journal,
        host: RunHost,
        checkpoint: Checkpoint,
    ) -> None:
        self.workflow = workflow
        self.info = info
        self.trigger = trigger
        self.journal = journal
        self.host = host
        self.records: dict[str, ActionRecord] = dict(checkpoint.records)
        self.latest: dict[str, ActionRecord] = {}
        for record in self.records.values():
            self.latest[record.name.lower()] = record
        self.variables = CaseInsensitiveDict(checkpoint.variables)
        # Types are not in the checkpoint: the declaration says them, else the value's own type does.
        self.variable_types = CaseInsensitiveDict(
            {
                name: workflow.variable_types.get(name.lower()) or _type_of(value)
                for name, value in checkpoint.variables.items()
            }
        )
        self.response_sent = checkpoint.response_sent
        self.pending: list[ActionRecord] = []
        self.lock = asyncio.Lock()
        self.tasks: set[asyncio.Task[Any]] = set()
        self.stop: str | None = None  # "terminated" | "cancelled"
        self.termination: tuple[str, dict[str, Any] | None] | None = None
        self.last_frames: dict[int, Frame] = {}  # id(graph) -> the frame of its last execution

    def now(self) -> datetime:
        return self.info.clock()

    def new_record(self, name: str, frame: Frame, status: str, code: str = "") -> ActionRecord:
        return ActionRecord(
            key=frame.key(name),
            name=name,
            status=status,
            code=code,
            start_time=timestamp(self.now()),
            tracking_id=str(uuid.uuid4()),
            client_tracking_id=self.info.tracking_id,
            repetition=frame.repetition(),
        )

    def finished(self, key: str) -> ActionRecord | None:
        record = self.records.get(key)
        return record if record is not None and record.status in FINISHED else None

    def remember(self, record: ActionRecord) -> None:
        self.records[record.key] = record
        self.latest[record.name.lower()] = record

    async def finish_pure(self, record: ActionRecord) -> None:
        self.remember(record)
        self.pending.append(record)

    async def checkpoint(self, *records: ActionRecord) -> None:
        """Write the pending batch plus `records` with the variables as they stand: one journal write."""
        for record in records:
            self.remember(record)
        async with self.lock:
            batch = [*self.pending, *records]
            self.pending = []
            stored = [self.stored(record) for record in batch]
            await self.journal.write(stored, self.variables.snapshot())

    def stored(self, record: ActionRecord) -> ActionRecord:
        """The record as history keeps it: secureData hides inputs/outputs there (expressions still see them)."""
        action = self.workflow.action(record.name)
        if action is None or not (action.secure_inputs or action.secure_outputs):
            return record
        changes: dict[str, Any] = {}
        if action.secure_inputs:
            changes.update(inputs=None, has_inputs=False)
        if action.secure_outputs:
            changes.update(outputs=None, has_outputs=False)
        return dataclasses.replace(record, **changes)

    def cancel_all(self, keep: frozenset[asyncio.Task[Any]] = frozenset()) -> None:
        for task in list(self.tasks):
            if task not in keep and not task.done():
                task.cancel()


def _type_of(value: Any) -> str:
    if value is True or value is False:
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return "String"
