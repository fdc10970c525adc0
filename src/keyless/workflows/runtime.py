"""The workflow runtime of `keyless up`: starting runs, executing them durably, cancel, resubmit, recovery.

`start` records the run (its trigger record is the trigger history) and hands it to DBOS (durable.py), which
calls back `_execute` with the run's name: the definition version the run started on (compiled once per
version and cached), the interpreter, the store's journal and a `WorkflowRunHost`. A caller waiting for the
Response action (the Request trigger, a parent's Workflow action) gets a future resolved by `respond`.

Without DBOS (another keyless in the same process owns it) runs execute as plain tasks: same results, no
recovery after a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from keyless.identity.managed_identity.hosting import IdentityHosts
from keyless.platform.errors import KeylessError
from keyless.platform.models import WorkflowKeyRow
from keyless.workflows import ids
from keyless.workflows.access_keys import AccessKeys
from keyless.workflows.durable import DurableRuns
from keyless.workflows.history import RunFinished, RunHistory
from keyless.workflows.host import ResponseMessage, ResponseState
from keyless.workflows.journal import Checkpoint
from keyless.workflows.records import FAILED, FINISHED, SUCCEEDED, ActionRecord, RunOutcome
from keyless.workflows.run_host import OutboundHttp, RunContext, WorkflowRunHost
from keyless.workflows.triggers import concurrency, correlation, recurrence

if TYPE_CHECKING:
    from keyless.services import Services

log = logging.getLogger("keyless.workflows")

WORKFLOW_TYPE = "Microsoft.Logic/workflows"
DEFINITION_PATH = "properties.definition"
SAS_KEYS_SECONDS = 5.0
HEAD_SECONDS = 5.0  # as other caches of shared state: another process's change shows within 5 s


class WorkflowNotFound(KeylessError):
    status = 404
    code = "WorkflowNotFound"


class TriggerNotFound(KeylessError):
    status = 404
    code = "WorkflowTriggerNotFound"


class WorkflowDisabled(KeylessError):
    status = 409
    code = "WorkflowDisabled"  # [unconfirmed] Azure's code for invoking a disabled workflow


@dataclass
class CompiledVersion:
    """One definition version, compiled once: what every run of that version needs."""

    workflow: Any  # definition.CompiledWorkflow
    definition: dict[str, Any]
    has_response: bool
    # The Response actions by name, at any depth; `asynchronous`: one has `operationOptions: Asynchronous`, so a
    # call to the Request trigger is answered 202 + Location at once and polled (triggers/request.py).
    responses: tuple[str, ...] = ()
    asynchronous: bool = False


@dataclass
class WorkflowHead:
    """What the request path needs of a workflow, cached until the workflow changes."""

    workflow_id: str
    name: str
    endpoint_id: str  # the 32-hex id its callback URLs carry (x-ms-workflow-id)
    version: str
    enabled: bool
    triggers: dict[str, dict[str, Any]]  # lower-case name -> trigger definition
    trigger_names: dict[str, str]  # lower-case name -> name as defined
    compiled: CompiledVersion
    # A change made here drops the head at once (on_workflow_changed); one made by another keyless sharing
    # PostgreSQL shows when the head is re-read, within HEAD_SECONDS (a version compiles once either way).
    fresh_until: float = 0.0


@dataclass
class StartedRun:
    workflow_id: str
    run_name: str
    trigger_name: str
    version: str
    client_tracking_id: str
    tracking_id: str
    # Resolved with the Response action's message, or None when the run ended without answering.
    response: asyncio.Future[ResponseMessage | None] | None = None
    has_response: bool = False
    workflow_name: str = ""


@dataclass
class _NewRun:
    """What `start` knows of a run it has just written: its first execution needs no read of it back."""

    workflow_id: str
    name: str
    version: str
    trigger_name: str
    client_tracking_id: str
    trigger: ActionRecord


class RuntimeStopping(Exception):
    """A journal write refused because keyless is stopping: the run stays as its last checkpoint left it."""


class _RunJournal:
    """The store's journal as the interpreter sees it here. A run never executed before has nothing to load.
    While keyless stops, writes are refused: the interpreter records the actions it was running as Cancelled when
    their tasks are cancelled, and a run interrupted by a stop must resume them, not read them as finished."""

    def __init__(self, journal: Any, runtime: WorkflowRuntime, *, new: bool) -> None:
        self._journal = journal
        self._runtime = runtime
        self._new = new

    async def load(self) -> Checkpoint:
        return Checkpoint() if self._new else await self._journal.load()

    async def write(self, records: list[ActionRecord], variables: dict[str, Any]) -> None:
        if self._runtime.stopping:
            raise RuntimeStopping("keyless is stopping")
        await self._journal.write(records, variables)

    async def finish(self, outcome: RunOutcome) -> None:
        if self._runtime.stopping:
            raise RuntimeStopping("keyless is stopping")
        await self._journal.finish(outcome)


@dataclass
class _Live:
    """A run executing in this process."""

    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[Any] | None = None


def _ci(mapping: Any, name: str) -> Any:
    if isinstance(mapping, Mapping):
        for key, value in mapping.items():
            if key.lower() == name.lower():
                return value
    return None


def response_actions(actions: Any) -> dict[str, Mapping[str, Any]]:
    """The Response actions, at any depth (Scope, Condition branches, Switch cases), by name."""
    found: dict[str, Mapping[str, Any]] = {}
    if not isinstance(actions, Mapping):
        return found
    for name, action in actions.items():
        if not isinstance(action, Mapping):
            continue
        if str(_ci(action, "type") or "").lower() == "response":
            found[str(name)] = action
        nested = [_ci(action, "actions"), _ci(_ci(action, "else"), "actions"), _ci(action, "default")]
        nested += [_ci(case, "actions") for case in (_ci(action, "cases") or {}).values() if isinstance(case, Mapping)]
        for n in nested:
            if n:
                found.update(response_actions(n if _ci(n, "actions") is None else _ci(n, "actions")))
    return found


def has_response_action(actions: Any) -> bool:
    """Whether any action, at any depth, is a Response (the caller then waits for it)."""
    return bool(response_actions(actions))


def is_asynchronous(action: Mapping[str, Any]) -> bool:
    """A Response with `operationOptions: Asynchronous` (options are a comma-separated, case-insensitive list)."""
    options = str(_ci(action, "operationOptions") or "")
    return "asynchronous" in {part.strip().lower() for part in options.split(",")}


class WorkflowRuntime:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.history = RunHistory(services.store)
        self.keys = AccessKeys(services.store)
        self.http = OutboundHttp(services.tls.ca_cert)
        self.identity_hosts = IdentityHosts(services.store, services.directory, services.resources, services.tokens)
        self.durable = DurableRuns(services.settings, self._execute)
        self.scheduler = recurrence.RecurrenceScheduler(self._fire_recurrence)
        self.gates = concurrency.TriggerGates()
        self.base_url = ""  # the logic listener, set by keyless.server once bound
        self.app_settings: dict[str, Any] = {}
        self._heads: dict[str, WorkflowHead] = {}
        self._sas_keys: dict[str, tuple[float, tuple[bytes, bytes]]] = {}  # by lower-case id: (until, keys)
        self._head_locks: dict[str, asyncio.Lock] = {}
        self._changes: dict[str, int] = {}  # per workflow, bumped by on_workflow_changed
        self._endpoints: dict[str, str] = {}  # callback endpoint id -> workflow id
        self._compiled: dict[tuple[str, str], CompiledVersion] = {}
        self._waiters: dict[str, asyncio.Future[ResponseMessage | None]] = {}
        self._answered: dict[str, ResponseState] = {}  # runs whose caller is gone: why (TOO_LATE, ALREADY_ANSWERED)
        self._live: dict[str, _Live] = {}
        self._new: dict[str, _NewRun] = {}
        self._plain_tasks: set[asyncio.Task[Any]] = set()
        self._running = False
        self._closing = False
        self._durable_ready: asyncio.Future[None] | None = None

    # --- life cycle ---------------------------------------------------------------------------------

    @property
    def stopping(self) -> bool:
        return self._closing

    def callback_base_url(self) -> str:
        return self.base_url

    async def start_up(self) -> None:
        """After the listeners are up: DBOS (recovering runs a crash interrupted) when there are runs to resume;
        runs accepted but never handed to DBOS; the Recurrence schedules."""
        self._running = True
        unfinished = await self.history.unfinished_runs()
        if unfinished:
            await self._ensure_durable()
            for workflow_id, run_name in unfinished:
                status = await self.durable.status(run_name) if self.durable.active else None
                if status in ("PENDING", "ENQUEUED", "DELAYED"):
                    continue  # DBOS recovers it
                if status is None:
                    await self._launch(workflow_id, run_name)  # accepted, never handed to DBOS
                else:  # DBOS thinks it ended, the history does not: finish it here (not durable)
                    self._plain(workflow_id, run_name)
        for body in await self._all_workflows():
            await self._schedule(body, just_saved=False)

    async def close(self) -> None:
        """Stop: runs in flight stay Running (resumed at the next start), schedules stop, DBOS shuts down."""
        self._closing = True
        self._running = False
        await self.scheduler.close()
        tasks = [live.task for live in self._live.values() if live.task is not None] + list(self._plain_tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        for waiter in self._waiters.values():
            if not waiter.done():
                waiter.cancel()
        await self.http.close()
        if self._durable_ready is not None:  # a launch under way finishes before DBOS is shut down
            with contextlib.suppress(BaseException):
                await self._durable_ready
        if self.durable.active:
            await asyncio.to_thread(self.durable.shutdown)

    async def _ensure_durable(self) -> None:
        """DBOS starts on first need: a keyless that never runs a workflow (most test processes) never starts it."""
        if self._durable_ready is None:  # the first caller starts it; the others wait for the same start
            self._durable_ready = asyncio.ensure_future(self._launch_durable())
        await asyncio.shield(self._durable_ready)

    async def _launch_durable(self) -> None:
        try:
            await asyncio.to_thread(self.durable.prepare)  # the slow part, off the loop
            self.durable.launch()  # on this loop, so DBOS runs recovered workflows here too
        except Exception:
            log.exception("DBOS did not start; workflow runs are not durable")

    # --- workflows ----------------------------------------------------------------------------------

    async def _all_workflows(self) -> list[dict[str, Any]]:
        return await self.services.resources.by_type(WORKFLOW_TYPE, self.services.instance.subscription_id)

    async def workflow_by_endpoint(self, endpoint_id: str) -> str | None:
        """The workflow a callback URL's 32-hex id names (an endpoint id never moves to another workflow)."""
        key = endpoint_id.lower()
        found = self._endpoints.get(key)
        if found is None:
            found = await self.keys.workflow_for(key)
            if found is not None:
                self._endpoints[key] = found
        return found

    async def sas_keys(self, workflow_id: str) -> tuple[bytes, bytes]:
        """The workflow's (primary, secondary) SAS keys. Kept for at most SAS_KEYS_SECONDS: a key regenerated in
        this process takes effect at once (the management plane tells `on_workflow_changed`), one regenerated by
        another keyless sharing PostgreSQL within that time."""
        key = workflow_id.lower()
        cached = self._sas_keys.get(key)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        async with self.services.store.session() as session:
            row = await session.get(WorkflowKeyRow, key)
        found = await self.keys.keys(workflow_id) if row is None else (row.primary, row.secondary)
        self._sas_keys[key] = (now + SAS_KEYS_SECONDS, found)
        return found

    async def workflow_by_name(self, name: str) -> str | None:
        """Standard's URL names the workflow only: the one workflow of that name in the subscription."""
        found = [b for b in await self._all_workflows() if str(b.get("name", "")).lower() == name.lower()]
        return str(found[0]["id"]) if len(found) == 1 else None

    async def child_trigger(self, workflow: str, trigger_name: str) -> tuple[str, str]:
        """The Workflow action's child: a resource id, or (Standard) a workflow name; no trigger name means its
        Request trigger. Raises WorkflowNotFound / TriggerNotFound."""
        workflow_id = workflow if workflow.startswith("/") else await self.workflow_by_name(workflow)
        if workflow_id is None:
            raise WorkflowNotFound(f"The workflow '{workflow}' could not be found.")
        head = await self.head(workflow_id)
        if trigger_name:
            return head.workflow_id, trigger_name
        for key, trigger in head.triggers.items():
            if str(_ci(trigger, "type") or "").lower() == "request":
                return head.workflow_id, head.trigger_names[key]
        raise TriggerNotFound(f"The workflow '{head.name}' has no Request trigger.")

    async def head(self, workflow_id: str) -> WorkflowHead:
        key = workflow_id.lower()
        cached = self._heads.get(key)
        if cached is not None and cached.fresh_until > time.monotonic():
            return cached
        # One load per workflow at a time: concurrent first triggers compile once (and make its keys once).
        lock = self._head_locks.setdefault(key, asyncio.Lock())
        async with lock:
            cached = self._heads.get(key)
            if cached is not None and cached.fresh_until > time.monotonic():
                return cached
            return await self._load_head(workflow_id)

    async def _load_head(self, workflow_id: str) -> WorkflowHead:
        key = workflow_id.lower()
        generation = self._changes.get(key, 0)
        body = await self.services.resources.get(workflow_id)
        if body is None:
            raise WorkflowNotFound(f"The workflow '{workflow_id.rsplit('/', 1)[-1]}' could not be found.")
        props = body.get("properties") or {}
        version = props.get("version")
        if not version:
            versions = await self.history.versions(workflow_id)
            if not versions:
                raise WorkflowNotFound(f"The workflow '{body.get('name')}' has no definition version.")
            version = versions[0]
        compiled = await self.compiled(workflow_id, str(version))
        triggers = _ci(compiled.definition, "triggers") or {}
        head = WorkflowHead(
            workflow_id=str(body.get("id") or workflow_id),
            name=str(body.get("name") or workflow_id.rsplit("/", 1)[-1]),
            endpoint_id=await self.keys.endpoint_id(workflow_id),
            version=str(version),
            enabled=str(props.get("state") or "Enabled").lower() == "enabled",
            triggers={k.lower(): v for k, v in triggers.items() if isinstance(v, dict)},
            trigger_names={k.lower(): k for k in triggers},
            compiled=compiled,
            fresh_until=time.monotonic() + HEAD_SECONDS,
        )
        if self._changes.get(key, 0) == generation:  # not changed while loading: safe to keep
            self._heads[key] = head
        return head

    async def compiled(self, workflow_id: str, version: str) -> CompiledVersion:
        key = (workflow_id.lower(), version)
        found = self._compiled.get(key)
        if found is not None:
            return found
        stored = await self.history.version(workflow_id, version)
        if stored is None:
            raise WorkflowNotFound(f"The workflow version '{version}' could not be found.")
        from keyless.workflows.definition import compile_definition

        definition = stored["definition"]
        workflow = compile_definition(definition, path=DEFINITION_PATH, parameters=stored.get("parameters") or {})
        responses = response_actions(_ci(definition, "actions"))
        found = CompiledVersion(
            workflow,
            definition,
            bool(responses),
            tuple(responses),
            any(is_asynchronous(action) for action in responses.values()),
        )
        self._compiled[key] = found
        return found

    async def on_workflow_changed(self, workflow_id: str) -> None:
        """A PUT, PATCH, enable, disable or DELETE: forget the cached head and reschedule its Recurrence."""
        key = workflow_id.lower()
        self._heads.pop(key, None)
        self._sas_keys.pop(key, None)
        self._changes[key] = self._changes.get(key, 0) + 1
        for endpoint in [e for e, w in self._endpoints.items() if w.lower() == key]:
            self._endpoints.pop(endpoint, None)  # a deleted workflow's keys (and endpoint id) are gone
        # Versions never change, but a deleted workflow's versions go; drop them so a re-created one recompiles.
        for cached in [k for k in self._compiled if k[0] == key]:
            self._compiled.pop(cached, None)
        self.scheduler.remove(workflow_id)
        if not self._running:
            return
        body = await self.services.resources.get(workflow_id)
        if body is not None:
            await self._schedule(body, just_saved=True)

    async def _schedule(self, body: dict[str, Any], *, just_saved: bool) -> None:
        props = body.get("properties") or {}
        if str(props.get("state") or "Enabled").lower() != "enabled":
            return
        triggers = _ci(props.get("definition"), "triggers") or {}
        for name, trigger in triggers.items():
            if not isinstance(trigger, Mapping) or str(_ci(trigger, "type") or "").lower() != "recurrence":
                continue
            raw = _ci(trigger, "recurrence") or {}
            try:
                rec = recurrence.parse(raw)
            except ValueError as exc:  # the definition was accepted; keep running, but say why nothing fires
                log.warning("Recurrence trigger %s of %s is not scheduled: %s", name, body.get("id"), exc)
                continue
            anchor = _parse_time(props.get("changedTime")) or datetime.now(UTC)
            schedule = recurrence.Schedule(str(body["id"]), name, rec, anchor)
            self.scheduler.set(schedule, fire_now=just_saved and rec.start is None)

    async def _fire_recurrence(self, schedule: recurrence.Schedule, when: datetime) -> None:
        head = await self.head(schedule.workflow_id)
        if not head.enabled:
            return
        # Conditions see the occurrence as trigger(): no outputs, its scheduledTime (reference §2.5).
        moment = ids.timestamp(when)
        view = correlation.trigger_view(schedule.trigger_name, None, None, start_time=moment, scheduled_time=moment)
        workflow = {"id": head.workflow_id, "name": head.name, "type": WORKFLOW_TYPE}
        try:
            if not correlation.fires(head.compiled.workflow, schedule.trigger_name, view, workflow):
                return  # not fired: no run, no trigger history
        except correlation.TriggerExpressionError as exc:
            log.warning("Recurrence trigger %s of %s did not fire: %s", schedule.trigger_name, head.workflow_id, exc)
            return
        # Every keyless process sharing the store may schedule this workflow: the one that claims it fires it.
        if not await self.history.claim_occurrence(head.workflow_id, schedule.trigger_name, moment):
            return
        await self.start(schedule.workflow_id, schedule.trigger_name, None, scheduled_time=when)

    # --- runs ---------------------------------------------------------------------------------------

    async def start(
        self,
        workflow_id: str,
        trigger_name: str,
        trigger_outputs: Any,
        *,
        wait_response: bool = False,
        client_tracking_id: str | None = None,
        scheduled_time: datetime | None = None,
        parent: RunContext | None = None,
    ) -> StartedRun:
        """Accept a run: its row (trigger record = trigger history) is written, then DBOS starts it.

        `trigger_outputs` None means the trigger has no outputs link (Recurrence). With `wait_response` the
        returned `response` future resolves with the Response action's message, or None if the run ends
        without one."""
        head = await self.head(workflow_id)
        trigger = head.triggers.get(trigger_name.lower())
        if trigger is None:
            raise TriggerNotFound(f"The workflow '{head.name}' does not have a trigger named '{trigger_name}'.")
        name = head.trigger_names[trigger_name.lower()]
        run_name = ids.run_name()
        now = ids.timestamp()
        tracking_id = ids.tracking_id()
        inputs = _ci(trigger, "inputs")
        record = ActionRecord(
            key=name,
            name=name,
            status=SUCCEEDED,
            code="OK",
            start_time=now,
            end_time=now,
            scheduled_time=ids.timestamp(scheduled_time) if scheduled_time else None,
            inputs=inputs,
            outputs=trigger_outputs,
            has_inputs=inputs is not None and trigger_outputs is not None,
            has_outputs=trigger_outputs is not None,
            tracking_id=tracking_id,
            client_tracking_id="",
        )
        client_id = self._correlation(head, name, record, run_name)
        client_id = client_id or client_tracking_id or (parent.client_tracking_id if parent else None) or run_name
        record.client_tracking_id = client_id
        started = StartedRun(
            workflow_id=head.workflow_id,
            run_name=run_name,
            trigger_name=name,
            version=head.version,
            client_tracking_id=client_id,
            tracking_id=tracking_id,
            has_response=head.compiled.has_response,
            workflow_name=head.name,
        )
        gate = self._gate(head.workflow_id, head.compiled, name)
        self.gates.admit(gate, run_name)  # 429 when the trigger's waiting runs are full
        if wait_response:
            started.response = self._waiters[run_name] = asyncio.get_running_loop().create_future()
        try:
            await self.history.create_run(
                head.workflow_id,
                run_name,
                version=head.version,
                trigger_name=name,
                trigger=record,
                client_tracking_id=client_id,
            )
            self._new[run_name] = _NewRun(head.workflow_id, run_name, head.version, name, client_id, record)
            await self._launch(head.workflow_id, run_name)
        except BaseException:
            self._waiters.pop(run_name, None)
            self._new.pop(run_name, None)
            self.gates.release(gate, run_name)
            raise
        return started

    def _correlation(self, head: WorkflowHead, trigger_name: str, record: ActionRecord, run_name: str) -> str | None:
        """The trigger's `correlation.clientTrackingId`, evaluated against the trigger as it fired."""
        compiled = getattr(head.compiled.workflow, "triggers", {}).get(trigger_name)
        expression = getattr(compiled, "client_tracking_id", None)
        if expression is None:
            return None
        from keyless.wdl.errors import ExpressionError

        workflow = {"id": head.workflow_id, "name": head.name, "type": WORKFLOW_TYPE, "run": {"name": run_name}}
        ctx = correlation.TriggerEvalContext(record.expression_view(), head.compiled.workflow.parameters, workflow)
        try:
            return correlation.client_tracking_id(expression, ctx)
        except ExpressionError as exc:
            raise KeylessError(
                f"The template language expression of the trigger '{trigger_name}' correlation clientTrackingId "
                f"cannot be evaluated: {exc}",
                code="InvalidTemplate",
            ) from exc

    async def _launch(self, workflow_id: str, run_name: str) -> None:
        await self._ensure_durable()
        if self.durable.active:
            await self.durable.start(workflow_id, run_name)
            return
        self._plain(workflow_id, run_name)

    def _plain(self, workflow_id: str, run_name: str) -> None:
        task = asyncio.create_task(self._execute(workflow_id, run_name), name=f"run {run_name}")
        self._plain_tasks.add(task)
        task.add_done_callback(self._plain_tasks.discard)

    async def _execute(self, workflow_id: str, run_name: str) -> None:
        """One run, start to end (or resumed from its journal). Never raises for the run's own failures: DBOS
        then records the workflow as done and the run's status is what the history says."""
        if run_name in self._live:  # already executing here (DBOS recovery racing a start); one is enough
            return
        live = self._live[run_name] = _Live(task=asyncio.current_task())
        try:
            run: Any = self._new.pop(run_name, None)
            journal = _RunJournal(self.history.journal(workflow_id, run_name), self, new=run is not None)
            if run is None:  # recovered, or started by another process sharing the store
                run = await self.history.run(workflow_id, run_name)
                if run is None or run.status in FINISHED:
                    return
            try:
                compiled = await self.compiled(workflow_id, run.version)
                head_name = workflow_id.rsplit("/", 1)[-1]
                context = RunContext(workflow_id, head_name, run_name, run.version, run.client_tracking_id)
                host = WorkflowRunHost(self, context, cancel=live.cancel)
                gate = self._gate(workflow_id, compiled, run.trigger_name)
                async with self.gates.slot(gate, run_name):
                    if not live.cancel.is_set():  # cancelled while it waited for a slot: nothing to run
                        await self._interpret(compiled, run, journal, host, live.cancel)
            except RunFinished:
                pass  # cancelled meanwhile
            except asyncio.CancelledError:
                raise  # keyless is stopping: the run stays Running and resumes at the next start
            except Exception as exc:
                if self.stopping:  # not the run's failure; cancelled, DBOS keeps the workflow pending
                    raise asyncio.CancelledError from exc
                log.exception("Run %s of %s failed in the runtime", run_name, workflow_id)
                error = {"code": getattr(exc, "code", "InternalServerError"), "message": str(exc)}
                with contextlib.suppress(Exception):
                    await journal.finish(RunOutcome(FAILED, code=error["code"], error=error))
        finally:
            self._live.pop(run_name, None)
            self._answered.pop(run_name, None)
            # Whoever waits holds the future; the table only routes `respond`, and the run is over.
            waiter = self._waiters.pop(run_name, None)
            if waiter is not None and not waiter.done() and not self._closing:
                waiter.set_result(None)

    def _gate(self, workflow_id: str, compiled: CompiledVersion, trigger_name: str) -> concurrency.Gate | None:
        trigger = getattr(compiled.workflow, "triggers", {}).get(trigger_name)
        return self.gates.gate(workflow_id, trigger_name, concurrency.limits_of(trigger))

    def concurrency(self, workflow_id: str, trigger_name: str) -> tuple[int, int]:
        """(running, waiting) runs of a trigger with a concurrency setting."""
        return self.gates.counts(workflow_id, trigger_name)

    async def _interpret(self, compiled: CompiledVersion, run: Any, journal: Any, host: Any, cancel: Any) -> None:
        from keyless.workflows.engine import execute_run
        from keyless.workflows.run_state import RunInfo

        info = RunInfo(
            run_name=run.name,
            workflow_id=run.workflow_id,
            workflow_name=run.workflow_id.rsplit("/", 1)[-1],
            location=self.services.instance.location,
            client_tracking_id=run.client_tracking_id,
            version=run.version,
        )
        await execute_run(compiled.workflow, info, run.trigger, journal, host, cancel=cancel)

    async def respond(self, workflow_id: str, run_name: str, message: ResponseMessage) -> ResponseState:
        """The Response action's answer to the waiting caller: ANSWERED; NOBODY_WAITING when no caller waits for
        this run (resubmitted, recovered); TOO_LATE / ALREADY_ANSWERED when its caller was answered already."""
        waiter = self._waiters.get(run_name)
        if waiter is None or waiter.done():
            if waiter is not None and not waiter.cancelled():
                return ResponseState.ALREADY_ANSWERED
            return self._answered.get(run_name, ResponseState.NOBODY_WAITING)
        # The caller is answered first; the mark only tells a resumed run (whose caller is gone anyway) and the
        # history that the answer went out.
        waiter.set_result(message)
        await self.history.mark_response_sent(workflow_id, run_name)
        return ResponseState.ANSWERED

    def forget_waiter(self, run_name: str) -> None:
        """The caller stopped waiting (timeout, disconnect) or has its answer: a later Response is too late."""
        waiter = self._waiters.pop(run_name, None)
        if waiter is None:
            return
        if not waiter.done():
            waiter.cancel()
            self._answered[run_name] = ResponseState.TOO_LATE
        elif not waiter.cancelled() and waiter.result() is not None:
            self._answered[run_name] = ResponseState.ALREADY_ANSWERED

    async def cancel(self, workflow_id: str, run_name: str) -> bool:
        """Cancel a run that has not finished; False if it had. Running actions learn it at their next checkpoint."""
        cancelled = await self.history.cancel(workflow_id, run_name)
        live = self._live.get(run_name)
        if live is not None:
            live.cancel.set()
        return cancelled

    async def resubmit(self, workflow_id: str, run_name: str) -> StartedRun:
        """A new run from an old run's trigger record (nobody waits: a Response in it is Skipped)."""
        old = await self.history.run(workflow_id, run_name)
        if old is None:
            raise KeylessError(f"The workflow run '{run_name}' could not be found.", status=404, code="NotFound")
        outputs = old.trigger.outputs if old.trigger.has_outputs else None
        return await self.start(workflow_id, old.trigger_name, outputs)

    def appsetting(self, name: str) -> Any:
        return self.app_settings.get(name)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    with contextlib.suppress(ValueError):
        return recurrence._start(value, recurrence.zone_named(None)).replace(tzinfo=UTC)  # type: ignore[union-attr]
    return None
