"""The run history on the store: workflow versions, runs (whose trigger record is the trigger history) and action
records, and the interpreter's `Journal` over them (journal.py).

Workflow ids are ARM resource ids, keyed lower-cased as the ARM store keys resources. Run names sort newest
first (ids.run_name), so "newest first" is ascending primary-key order and paging is keyset on the name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from keyless.platform import clock
from keyless.platform.models import WorkflowOccurrenceRow, WorkflowRunActionRow, WorkflowRunRow, WorkflowVersionRow
from keyless.platform.store import Store
from keyless.workflows import ids
from keyless.workflows.journal import Checkpoint
from keyless.workflows.records import CANCELLED, FINISHED, RUNNING, WAITING, ActionRecord, RunOutcome


class RunFinished(Exception):
    """A journal write for a run that is over (finished, or cancelled meanwhile): the interpreter stops."""

    def __init__(self, workflow_id: str, run_name: str, status: str) -> None:
        super().__init__(f"run {run_name} of {workflow_id} is {status}")
        self.status = status


@dataclass
class RunView:
    """A run as the management API shows it."""

    workflow_id: str
    name: str
    version: str
    trigger_name: str
    status: str
    code: str
    start_time: str
    end_time: str | None
    client_tracking_id: str
    error: dict[str, Any] | None
    outputs: dict[str, Any]
    trigger: ActionRecord
    response_sent: bool
    variables: dict[str, Any] = field(default_factory=dict)


def record_to_json(record: ActionRecord) -> dict[str, Any]:
    return {
        "key": record.key,
        "name": record.name,
        "status": record.status,
        "code": record.code,
        "startTime": record.start_time,
        "endTime": record.end_time,
        "inputs": record.inputs,
        "outputs": record.outputs,
        "hasInputs": record.has_inputs,
        "hasOutputs": record.has_outputs,
        "error": record.error,
        "trackingId": record.tracking_id,
        "clientTrackingId": record.client_tracking_id,
        "repetition": record.repetition,
        "retryHistory": record.retry_history,
        "iterationCount": record.iteration_count,
        "trackedProperties": record.tracked_properties,
        "scheduledTime": record.scheduled_time,
    }


def record_from_json(data: dict[str, Any]) -> ActionRecord:
    return ActionRecord(
        key=data["key"],
        name=data["name"],
        status=data["status"],
        code=data["code"],
        start_time=data.get("startTime"),
        end_time=data.get("endTime"),
        inputs=data.get("inputs"),
        outputs=data.get("outputs"),
        has_inputs=bool(data.get("hasInputs")),
        has_outputs=bool(data.get("hasOutputs")),
        error=data.get("error"),
        tracking_id=data.get("trackingId") or "",
        client_tracking_id=data.get("clientTrackingId") or "",
        repetition=dict(data.get("repetition") or {}),
        retry_history=data.get("retryHistory"),
        iteration_count=data.get("iterationCount"),
        tracked_properties=data.get("trackedProperties"),
        scheduled_time=data.get("scheduledTime"),
    )


def _action_values(workflow_key: str, run_name: str, record: ActionRecord) -> dict[str, Any]:
    return {
        "workflow_key": workflow_key,
        "run_name": run_name,
        "record_key": record.key,
        "name": record.name,
        "repetition": dict(record.repetition),
        "status": record.status,
        "code": record.code,
        "start_time": record.start_time,
        "end_time": record.end_time,
        "inputs": record.inputs if record.has_inputs else None,
        "outputs": record.outputs if record.has_outputs else None,
        "has_inputs": record.has_inputs,
        "has_outputs": record.has_outputs,
        "error": record.error,
        "tracking_id": record.tracking_id,
        "client_tracking_id": record.client_tracking_id,
        "retry_history": record.retry_history,
        "iteration_count": record.iteration_count,
        "tracked_properties": record.tracked_properties,
    }


def _action_record(row: WorkflowRunActionRow) -> ActionRecord:
    return ActionRecord(
        key=row.record_key,
        name=row.name,
        status=row.status,
        code=row.code,
        start_time=row.start_time,
        end_time=row.end_time,
        inputs=row.inputs,
        outputs=row.outputs,
        has_inputs=row.has_inputs,
        has_outputs=row.has_outputs,
        error=row.error,
        tracking_id=row.tracking_id,
        client_tracking_id=row.client_tracking_id,
        repetition=dict(row.repetition or {}),
        retry_history=row.retry_history,
        iteration_count=row.iteration_count,
        tracked_properties=row.tracked_properties,
    )


def _run_view(row: WorkflowRunRow) -> RunView:
    return RunView(
        workflow_id=row.workflow_id,
        name=row.run_name,
        version=row.version,
        trigger_name=row.trigger_name,
        status=row.status,
        code=row.code,
        start_time=row.start_time,
        end_time=row.end_time,
        client_tracking_id=row.client_tracking_id,
        error=row.error,
        outputs=dict(row.outputs or {}),
        trigger=record_from_json(row.trigger),
        response_sent=row.response_sent,
        variables=dict(row.variables or {}),
    )


_ACTION_COLUMNS = [c for c in WorkflowRunActionRow.__table__.columns.keys() if c not in ("workflow_key", "run_name")]


class StoreJournal:
    """`journal.Journal` for one run: each write is one transaction (records upserted by key, variables kept)."""

    def __init__(self, history: RunHistory, workflow_id: str, run_name: str) -> None:
        self.history = history
        self.workflow_id = workflow_id
        self.key = workflow_id.lower()
        self.run_name = run_name

    async def load(self) -> Checkpoint:
        store = self.history.store
        async with store.session() as session:
            run = await session.get(WorkflowRunRow, (self.key, self.run_name))
            if run is None:
                raise KeyError(f"no run {self.run_name} for {self.workflow_id}")
            rows = (
                await session.scalars(
                    select(WorkflowRunActionRow).where(
                        WorkflowRunActionRow.workflow_key == self.key, WorkflowRunActionRow.run_name == self.run_name
                    )
                )
            ).all()
        return Checkpoint(
            records={r.record_key: _action_record(r) for r in rows},
            variables=dict(run.variables or {}),
            response_sent=run.response_sent,
        )

    async def write(self, records: list[ActionRecord], variables: dict[str, Any]) -> None:
        store = self.history.store
        async with store.transaction() as session:
            # The status check is the first statement and a write: it takes the write lock on SQLite and the row
            # lock on PostgreSQL, so a cancel either landed before (and wins) or waits for this checkpoint.
            if not await _claim(session, self.key, self.run_name, variables=dict(variables)):
                raise RunFinished(self.workflow_id, self.run_name, await _status(session, self))
            if records:
                # Later records of the same key in one batch replace earlier ones, as separate writes would.
                batch = {r.key: _action_values(self.key, self.run_name, r) for r in records}
                insert = pg_insert if not store.is_sqlite else sqlite_insert
                statement = insert(WorkflowRunActionRow).values(list(batch.values()))
                statement = statement.on_conflict_do_update(
                    index_elements=["workflow_key", "run_name", "record_key"],
                    set_={c: statement.excluded[c] for c in _ACTION_COLUMNS if c != "record_key"},
                )
                await session.execute(statement)

    async def finish(self, outcome: RunOutcome) -> None:
        async with self.history.store.transaction() as session:
            values = {
                "status": outcome.status,
                "code": outcome.code,
                "error": outcome.error,
                "outputs": dict(outcome.outputs),
                "end_time": ids.timestamp(),
            }
            if not await _claim(session, self.key, self.run_name, **values):
                await _status(session, self)  # KeyError for an unknown run; a cancelled one keeps its outcome


async def _claim(session: AsyncSession, key: str, run_name: str, **values: Any) -> bool:
    """Update a run that has not finished; False if it has (or does not exist)."""
    result = await session.execute(
        update(WorkflowRunRow)
        .where(
            WorkflowRunRow.workflow_key == key,
            WorkflowRunRow.run_name == run_name,
            WorkflowRunRow.status.not_in(FINISHED),
        )
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def _status(session: AsyncSession, journal: StoreJournal) -> str:
    status = await session.scalar(
        select(WorkflowRunRow.status).where(
            WorkflowRunRow.workflow_key == journal.key, WorkflowRunRow.run_name == journal.run_name
        )
    )
    if status is None:
        raise KeyError(f"no run {journal.run_name} for {journal.workflow_id}")
    return status


class RunHistory:
    def __init__(self, store: Store) -> None:
        self.store = store

    # --- versions -------------------------------------------------------------------------------------

    async def save_version(
        self, workflow_id: str, version: str, definition: dict[str, Any], parameters: dict[str, Any]
    ) -> None:
        async with self.store.transaction() as session:
            row = await session.get(WorkflowVersionRow, (workflow_id.lower(), version))
            if row is None:
                session.add(
                    WorkflowVersionRow(
                        workflow_key=workflow_id.lower(),
                        version=version,
                        definition=definition,
                        parameters=parameters,
                        created=clock.now(),
                    )
                )
            else:
                row.definition, row.parameters = definition, parameters

    async def version(self, workflow_id: str, version: str) -> dict[str, Any] | None:
        """`{"version", "definition", "parameters", "createdTime"}` or None."""
        async with self.store.session() as session:
            row = await session.get(WorkflowVersionRow, (workflow_id.lower(), version))
        if row is None:
            return None
        return {
            "version": row.version,
            "definition": row.definition,
            "parameters": row.parameters,
            "createdTime": ids.timestamp(ids.time_of(row.version)),
        }

    async def versions(self, workflow_id: str) -> list[str]:
        """Version names, newest first."""
        async with self.store.session() as session:
            names = await session.scalars(
                select(WorkflowVersionRow.version)
                .where(WorkflowVersionRow.workflow_key == workflow_id.lower())
                .order_by(WorkflowVersionRow.version)
            )
            return list(names)

    # --- runs -----------------------------------------------------------------------------------------

    async def create_run(
        self,
        workflow_id: str,
        run_name: str,
        *,
        version: str,
        trigger_name: str,
        trigger: ActionRecord,
        client_tracking_id: str,
    ) -> None:
        """A run accepted: status Running; its trigger record is also its trigger history (same name)."""
        async with self.store.transaction() as session:
            session.add(
                WorkflowRunRow(
                    workflow_key=workflow_id.lower(),
                    run_name=run_name,
                    workflow_id=workflow_id,
                    version=version,
                    trigger_name=trigger_name,
                    status=RUNNING,
                    code="NotSpecified",
                    start_time=trigger.start_time or ids.timestamp(),
                    end_time=None,
                    client_tracking_id=client_tracking_id,
                    error=None,
                    outputs=None,
                    trigger=record_to_json(trigger),
                    response_sent=False,
                    variables={},
                    created=clock.now(),
                )
            )

    def journal(self, workflow_id: str, run_name: str) -> StoreJournal:
        return StoreJournal(self, workflow_id, run_name)

    async def run(self, workflow_id: str, run_name: str) -> RunView | None:
        async with self.store.session() as session:
            row = await session.get(WorkflowRunRow, (workflow_id.lower(), run_name))
        return _run_view(row) if row else None

    async def trigger_record(self, workflow_id: str, run_name: str) -> ActionRecord | None:
        found = await self.run(workflow_id, run_name)
        return found.trigger if found else None

    async def run_status(self, workflow_id: str, run_name: str) -> str | None:
        async with self.store.session() as session:
            return await session.scalar(
                select(WorkflowRunRow.status).where(
                    WorkflowRunRow.workflow_key == workflow_id.lower(), WorkflowRunRow.run_name == run_name
                )
            )

    async def mark_response_sent(self, workflow_id: str, run_name: str) -> bool:
        """Record that the Response action answered; False if it had already (a resumed run must not answer)."""
        async with self.store.transaction() as session:
            result = await session.execute(
                update(WorkflowRunRow)
                .where(
                    WorkflowRunRow.workflow_key == workflow_id.lower(),
                    WorkflowRunRow.run_name == run_name,
                    WorkflowRunRow.response_sent.is_(False),
                )
                .values(response_sent=True)
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def unfinished_runs(self) -> list[tuple[str, str]]:
        """(workflow id as created, run name) of every run still Running or Waiting, oldest first."""
        async with self.store.session() as session:
            rows = await session.execute(
                select(WorkflowRunRow.workflow_id, WorkflowRunRow.run_name)
                .where(WorkflowRunRow.status.in_((RUNNING, WAITING)))
                .order_by(WorkflowRunRow.run_name.desc())
            )
            return [(w, r) for w, r in rows]

    async def cancel(self, workflow_id: str, run_name: str) -> bool:
        """Cancel a run that has not finished: the run and its Running/Waiting records become Cancelled. False if
        it had finished already (Azure refuses that cancel; the caller chooses the error)."""
        key = workflow_id.lower()
        now = ids.timestamp()
        async with self.store.transaction() as session:
            cancelled = await _claim(
                session,
                key,
                run_name,
                status=CANCELLED,
                code="Cancelled",
                end_time=now,
                error={"code": "Cancelled", "message": "The operation was canceled."},
            )
            if not cancelled:
                return False
            await session.execute(
                update(WorkflowRunActionRow)
                .where(
                    WorkflowRunActionRow.workflow_key == key,
                    WorkflowRunActionRow.run_name == run_name,
                    WorkflowRunActionRow.status.in_((RUNNING, WAITING)),
                )
                .values(status=CANCELLED, code="Cancelled", end_time=now)
            )
        return True

    async def delete_workflow(self, workflow_id: str) -> None:
        key = workflow_id.lower()
        async with self.store.transaction() as session:
            await session.execute(delete(WorkflowRunActionRow).where(WorkflowRunActionRow.workflow_key == key))
            await session.execute(delete(WorkflowRunRow).where(WorkflowRunRow.workflow_key == key))
            await session.execute(delete(WorkflowVersionRow).where(WorkflowVersionRow.workflow_key == key))
            await session.execute(delete(WorkflowOccurrenceRow).where(WorkflowOccurrenceRow.workflow_key == key))

    async def claim_occurrence(self, workflow_id: str, trigger_name: str, scheduled_time: str) -> bool:
        """True for the one caller (of every keyless process sharing the store) that fires this occurrence."""
        insert = sqlite_insert if self.store.is_sqlite else pg_insert
        statement = (
            insert(WorkflowOccurrenceRow)
            .values(
                workflow_key=workflow_id.lower(),
                trigger_name=trigger_name.lower(),
                scheduled_time=scheduled_time,
                created=clock.now(),
            )
            .on_conflict_do_nothing()
        )
        async with self.store.transaction() as session:
            result = await session.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # --- queries for the management API --------------------------------------------------------------

    async def list_runs(
        self,
        workflow_id: str,
        *,
        limit: int,
        after: str | None = None,
        status: str | None = None,
        trigger_name: str | None = None,
        start_bounds: Sequence[tuple[str, str]] = (),
    ) -> list[RunView]:
        """Up to `limit` runs newest first, those after run name `after` (keyset paging). `start_bounds` are
        (`ge`|`gt`|`le`|`lt`, timestamp) on the start time, timestamps in `ids.timestamp` form (so they compare
        as text)."""
        query = select(WorkflowRunRow).where(WorkflowRunRow.workflow_key == workflow_id.lower())
        if after is not None:
            query = query.where(WorkflowRunRow.run_name > after)
        if status is not None:
            query = query.where(WorkflowRunRow.status == status)
        if trigger_name is not None:
            query = query.where(func.lower(WorkflowRunRow.trigger_name) == trigger_name.lower())
        for op, moment in start_bounds:
            column = WorkflowRunRow.start_time
            query = query.where(
                {"ge": column >= moment, "gt": column > moment, "le": column <= moment, "lt": column < moment}[op]
            )
        async with self.store.session() as session:
            rows = (await session.scalars(query.order_by(WorkflowRunRow.run_name).limit(limit))).all()
        return [_run_view(r) for r in rows]

    async def records(self, workflow_id: str, run_name: str, name: str | None = None) -> list[ActionRecord]:
        """The run's action records (of one action, if named), in start order."""
        query = select(WorkflowRunActionRow).where(
            WorkflowRunActionRow.workflow_key == workflow_id.lower(), WorkflowRunActionRow.run_name == run_name
        )
        if name is not None:
            query = query.where(WorkflowRunActionRow.name == name)
        async with self.store.session() as session:
            rows = (await session.scalars(query)).all()
        records = [_action_record(r) for r in rows]
        records.sort(key=lambda r: (r.start_time or "", r.key))
        return records

    async def record(self, workflow_id: str, run_name: str, key: str) -> ActionRecord | None:
        async with self.store.session() as session:
            row = await session.get(WorkflowRunActionRow, (workflow_id.lower(), run_name, key))
        return _action_record(row) if row else None
