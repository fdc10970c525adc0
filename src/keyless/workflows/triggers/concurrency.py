"""Trigger concurrency (reference §2.5): `runtimeConfiguration.concurrency.runs` (or `SingleInstance`, one run)
runs of a trigger execute at once; the others wait in arrival order, up to `maximumWaitingRuns` (default 10 plus
the runs, the documented minimum); beyond that the trigger refuses with 429.

A trigger without the setting is not gated (Azure's default: unlimited).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from keyless.platform.errors import KeylessError


class TooManyWaitingRuns(KeylessError):
    status = 429
    code = "TooManyRequests"  # [unconfirmed] Azure's code when the waiting-runs queue is full


@dataclass(frozen=True)
class Limits:
    runs: int
    waiting: int


def limits_of(trigger: Any) -> Limits | None:
    """The compiled trigger's concurrency, or None when it has none."""
    runtime = getattr(trigger, "runtime_configuration", None) or {}
    concurrency = next((v for k, v in runtime.items() if k.lower() == "concurrency"), None) or {}
    settings = {k.lower(): v for k, v in concurrency.items()}
    single = any(o.lower() == "singleinstance" for o in getattr(trigger, "operation_options", ()))
    runs = 1 if single else settings.get("runs")
    if runs is None:
        return None
    return Limits(int(runs), int(settings.get("maximumwaitingruns") or 10 + int(runs)))


@dataclass
class Gate:
    limits: Limits
    semaphore: asyncio.Semaphore
    accepted: set[str] = field(default_factory=set)  # run names accepted and not finished
    running: set[str] = field(default_factory=set)


class TriggerGates:
    """One gate per (workflow, trigger) with a concurrency setting."""

    def __init__(self) -> None:
        self._gates: dict[tuple[str, str], Gate] = {}

    def gate(self, workflow_id: str, trigger_name: str, limits: Limits | None) -> Gate | None:
        key = (workflow_id.lower(), trigger_name.lower())
        if limits is None:
            self._gates.pop(key, None)
            return None
        found = self._gates.get(key)
        if found is None or found.limits != limits:  # a changed setting applies to runs accepted from now on
            found = self._gates[key] = Gate(limits, asyncio.Semaphore(limits.runs))
        return found

    def admit(self, gate: Gate | None, run_name: str) -> None:
        """Count a run in before it is written; TooManyWaitingRuns when the queue is full."""
        if gate is None:
            return
        if len(gate.accepted) >= gate.limits.runs + gate.limits.waiting:
            raise TooManyWaitingRuns(
                f"The trigger's waiting runs limit of {gate.limits.waiting} is reached; try again later."
            )
        gate.accepted.add(run_name)

    @contextlib.asynccontextmanager
    async def slot(self, gate: Gate | None, run_name: str) -> AsyncIterator[None]:
        """Hold one of the trigger's running slots while the run executes (waits for one first)."""
        if gate is None:
            yield
            return
        gate.accepted.add(run_name)  # a recovered run is counted here
        try:
            async with gate.semaphore:
                gate.running.add(run_name)
                try:
                    yield
                finally:
                    gate.running.discard(run_name)
        finally:
            gate.accepted.discard(run_name)

    def release(self, gate: Gate | None, run_name: str) -> None:
        """A run admitted but never executed (its start failed)."""
        if gate is not None:
            gate.accepted.discard(run_name)

    def counts(self, workflow_id: str, trigger_name: str) -> tuple[int, int]:
        """(running, waiting) of the trigger's gate; (0, 0) without one."""
        found = self._gates.get((workflow_id.lower(), trigger_name.lower()))
        if found is None:
            return 0, 0
        return len(found.running), len(found.accepted) - len(found.running)
