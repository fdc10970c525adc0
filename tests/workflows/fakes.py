"""Test doubles for the interpreter: a RunHost that records what actions ask of it, test-only action types, and
helpers that compile and run a definition against an InMemoryJournal."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from keyless.platform.errors import KeylessError
from keyless.workflows.actions.base import ActionSpec, Outcome
from keyless.workflows.actions.registry import ACTION_TYPES
from keyless.workflows.definition import CompiledWorkflow, compile_definition
from keyless.workflows.engine import InMemoryJournal, RunInfo, execute_run
from keyless.workflows.host import HttpRequest, HttpResponse, ResponseMessage
from keyless.workflows.journal import Checkpoint
from keyless.workflows.records import FAILED, SUCCEEDED, ActionRecord, RunOutcome


class FakeHost:
    def __init__(self, appsettings: dict[str, Any] | None = None) -> None:
        self.appsettings = appsettings or {}
        self.sent: list[HttpRequest] = []
        self.responses: list[ResponseMessage] = []
        self.slept: list[float] = []

    async def send(self, request: HttpRequest) -> HttpResponse:
        self.sent.append(request)
        return HttpResponse(200, [], b"")

    async def managed_identity_token(self, audience: str, identity: str | None) -> str:
        return f"token-for-{audience}"

    async def client_credentials_token(self, *args: Any) -> str:
        return "client-token"

    async def respond(self, message: ResponseMessage) -> bool:
        self.responses.append(message)
        return True

    async def invoke_workflow(self, workflow_id: str, trigger_name: str, body: Any, headers: dict[str, str]) -> Any:
        raise KeylessError(f"The workflow '{workflow_id}' could not be found.", code="WorkflowNotFound")

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.sleep(0)

    def appsetting(self, name: str) -> Any:
        return self.appsettings.get(name)


class Clock:
    """A pinned clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.moment = start or datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


# -- test-only action types ------------------------------------------------------------------------------------


@dataclass
class Probe:
    """Shared state the test action types report to: executions in order, concurrency, gates."""

    executed: list[str] = field(default_factory=list)
    current: int = 0
    highest: int = 0
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    full: asyncio.Event = field(default_factory=asyncio.Event)
    full_at: int = 0  # `full` is set when this many run at once
    hooks: dict[str, Callable[[Any], None]] = field(default_factory=dict)  # action name -> called with the ctx


PROBE = Probe()


def _compile_inputs(spec: dict[str, Any], ctx: Any) -> Any:
    return ctx.value(spec.get("inputs"), "inputs")


async def _echo(config: Any, ctx: Any) -> Outcome:
    """Echo: outputs are the evaluated inputs (Compose-like)."""
    value = ctx.evaluate(config)
    PROBE.executed.append(ctx.action_name)
    hook = PROBE.hooks.get(ctx.action_name)
    if hook is not None:
        hook(ctx)
    return Outcome(SUCCEEDED, "OK", inputs=value, outputs=value)


async def _fail(config: Any, ctx: Any) -> Outcome:
    value = ctx.evaluate(config)
    PROBE.executed.append(ctx.action_name)
    return Outcome(
        FAILED,
        "BadRequest",
        inputs=value,
        outputs=None,
        has_outputs=False,
        error={"code": "BadRequest", "message": f"{ctx.action_name} failed"},
    )


async def _gate(config: Any, ctx: Any) -> Outcome:
    """Counts how many run at once and waits for the gate: concurrency without timings."""
    value = ctx.evaluate(config)
    PROBE.current += 1
    PROBE.highest = max(PROBE.highest, PROBE.current)
    if PROBE.full_at and PROBE.current >= PROBE.full_at:
        PROBE.full.set()
    try:
        for _ in range(3):
            await asyncio.sleep(0)
        await PROBE.gate.wait()
    finally:
        PROBE.current -= 1
    PROBE.executed.append(ctx.action_name)
    return Outcome(SUCCEEDED, "OK", inputs=value, outputs=value)


async def _set_var(config: Any, ctx: Any) -> Outcome:
    """SetVar: inputs {name, value}; writes a run variable."""
    value = ctx.evaluate(config)
    ctx.variables[value["name"]] = value["value"]
    ctx.variable_types[value["name"]] = "Integer"
    PROBE.executed.append(ctx.action_name)
    return Outcome(SUCCEEDED, "NotSpecified", inputs=value, has_outputs=False)


async def _block(config: Any, ctx: Any) -> Outcome:
    """Block: waits forever (until cancelled or timed out)."""
    PROBE.executed.append(ctx.action_name)
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


ECHO = ActionSpec("Echo", _compile_inputs, _echo)
FAIL = ActionSpec("Fail", _compile_inputs, _fail)
GATE = ActionSpec("Gate", _compile_inputs, _gate)
SET_VAR = ActionSpec("SetVar", _compile_inputs, _set_var)
BLOCK = ActionSpec("Block", _compile_inputs, _block)
DURABLE_ECHO = ActionSpec("DurableEcho", _compile_inputs, _echo, durable=True)

REGISTRY = {
    **ACTION_TYPES,
    **{spec.type_name.lower(): spec for spec in (ECHO, FAIL, GATE, SET_VAR, BLOCK, DURABLE_ECHO)},
}


def reset_probe() -> Probe:
    global PROBE
    PROBE.__init__()  # type: ignore[misc]
    return PROBE


# -- helpers ---------------------------------------------------------------------------------------------------


def definition(actions: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#",
        "contentVersion": "1.0.0.0",
        "triggers": {"manual": {"type": "Request", "kind": "Http"}},
        "actions": actions,
        **extra,
    }


def compile_(actions: dict[str, Any], **extra: Any) -> CompiledWorkflow:
    parameters = extra.pop("parameter_values", None)
    return compile_definition(definition(actions, **extra), parameters=parameters, registry=REGISTRY)


def trigger_record(body: Any = None) -> ActionRecord:
    return ActionRecord(
        key="manual",
        name="manual",
        status=SUCCEEDED,
        code="OK",
        start_time="2026-01-01T00:00:00.0000000Z",
        end_time="2026-01-01T00:00:00.0000000Z",
        inputs={},
        outputs={"headers": {}, "body": body},
        has_inputs=True,
        has_outputs=True,
        tracking_id="00000000-0000-0000-0000-000000000001",
        client_tracking_id="run-1",
    )


@dataclass
class RunResult:
    outcome: RunOutcome
    journal: InMemoryJournal
    host: FakeHost

    @property
    def records(self) -> dict[str, ActionRecord]:
        return self.journal.records

    def status(self, key: str) -> str:
        return self.records[key].status

    def record(self, key: str) -> ActionRecord:
        return self.records[key]


async def run(
    workflow: CompiledWorkflow | dict[str, Any],
    *,
    body: Any = None,
    journal: InMemoryJournal | None = None,
    host: FakeHost | None = None,
    clock: Clock | None = None,
    cancel: asyncio.Event | None = None,
    checkpoint: Checkpoint | None = None,
) -> RunResult:
    if isinstance(workflow, dict):
        workflow = compile_(workflow)
    journal = journal or InMemoryJournal(checkpoint)
    host = host or FakeHost()
    info = RunInfo(
        run_name="run-1",
        workflow_id="/subscriptions/s/resourceGroups/rg/providers/Microsoft.Logic/workflows/wf",
        workflow_name="wf",
        location="westeurope",
        clock=clock or Clock(),
    )
    outcome = await execute_run(workflow, info, trigger_record(body), journal, host, cancel=cancel)
    return RunResult(outcome, journal, host)
