"""Checkpoints (journal.py's batching rule) and resuming a run from a Checkpoint."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from keyless.workflows import scheduler
from keyless.workflows.actions.base import ActionSpec, Outcome
from keyless.workflows.definition import compile_definition
from keyless.workflows.journal import Checkpoint
from keyless.workflows.records import RUNNING, SUCCEEDED, ActionRecord
from tests.workflows.fakes import PROBE, REGISTRY, _compile_inputs, compile_, definition, reset_probe, run


@pytest.fixture(autouse=True)
def _probe() -> None:
    reset_probe()


ACTIONS = {
    "Pure1": {"type": "SetVar", "inputs": {"name": "count", "value": 1}},
    "Pure2": {"type": "Echo", "inputs": "@variables('count')", "runAfter": {"Pure1": ["Succeeded"]}},
    "Call": {"type": "DurableEcho", "inputs": "@add(outputs('Pure2'), 1)", "runAfter": {"Pure2": ["Succeeded"]}},
    "Pure3": {"type": "Echo", "inputs": "@outputs('Call')", "runAfter": {"Call": ["Succeeded"]}},
}


async def test_pure_actions_are_batched_around_durable_ones() -> None:
    result = await run(compile_(ACTIONS))
    writes = [[(r.key, r.status) for r in batch] for batch in result.journal.writes]
    assert writes == [
        [("Pure1", SUCCEEDED), ("Pure2", SUCCEEDED), ("Call", SUCCEEDED)],  # a fast durable action: when it ends
        [("Pure3", SUCCEEDED)],  # at the end
    ]
    assert result.journal.checkpoint.variables == {"count": 1}
    assert result.outcome.status == SUCCEEDED


async def _slow_echo(config: Any, ctx: Any) -> Outcome:
    for _ in range(20):  # long enough for the announcement (its delay is 0 in this test) to be written first
        await asyncio.sleep(0)
    return Outcome(SUCCEEDED, "OK", inputs=ctx.evaluate(config), outputs=ctx.evaluate(config))


async def test_a_durable_action_still_running_is_written_as_running_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scheduler, "RUNNING_VISIBLE_AFTER", 0)
    registry = {**REGISTRY, "slowecho": ActionSpec("SlowEcho", _compile_inputs, _slow_echo, durable=True)}
    actions = {**ACTIONS, "Call": {**ACTIONS["Call"], "type": "SlowEcho"}}
    result = await run(compile_definition(definition(actions), registry=registry))
    writes = [[(r.key, r.status) for r in batch] for batch in result.journal.writes]
    assert writes == [
        [("Pure1", SUCCEEDED), ("Pure2", SUCCEEDED), ("Call", RUNNING)],  # history shows it running
        [("Call", SUCCEEDED)],  # after it finishes
        [("Pure3", SUCCEEDED)],  # at the end
    ]


def record(key: str, status: str, outputs: object = None) -> ActionRecord:
    return ActionRecord(
        key=key, name=key.split("#")[0], status=status, code="OK", outputs=outputs, has_outputs=outputs is not None
    )


async def test_resume_reuses_finished_records_and_reruns_a_running_durable_action() -> None:
    checkpoint = Checkpoint(
        records={
            "Pure1": record("Pure1", SUCCEEDED),
            "Pure2": record("Pure2", SUCCEEDED, 10),
            "Call": record("Call", RUNNING),
        },
        variables={"count": 10},
    )
    result = await run(compile_(ACTIONS), checkpoint=checkpoint)
    assert PROBE.executed == ["Call", "Pure3"]  # Pure1/Pure2 are not run again
    assert result.record("Call").outputs == 11
    assert result.record("Pure3").outputs == 11
    assert result.journal.checkpoint.variables == {"count": 10}


async def test_resume_restores_variables_for_later_actions() -> None:
    actions = {
        "Set": {"type": "SetVar", "inputs": {"name": "Total", "value": 5}},
        "Read": {"type": "Echo", "inputs": "@variables('total')", "runAfter": {"Set": ["Succeeded"]}},
    }
    checkpoint = Checkpoint(records={"Set": record("Set", SUCCEEDED)}, variables={"Total": 7})
    result = await run(compile_(actions), checkpoint=checkpoint)
    assert result.record("Read").outputs == 7
    assert PROBE.executed == ["Read"]


async def test_resume_inside_a_foreach_runs_only_unfinished_repetitions() -> None:
    actions = {
        "Loop": {
            "type": "Foreach",
            "foreach": "@triggerBody()",
            "actions": {"Item": {"type": "Echo", "inputs": "@item()"}},
        }
    }
    checkpoint = Checkpoint(records={"Item#000000": record("Item#000000", SUCCEEDED, "a")})
    result = await run(compile_(actions), body=["a", "b"], checkpoint=checkpoint)
    assert PROBE.executed == ["Item"]
    assert result.record("Item#000001").outputs == "b"
    assert result.record("Loop").status == SUCCEEDED


async def test_a_finished_run_refuses_more_writes() -> None:
    result = await run(compile_({"A": {"type": "Echo", "inputs": 1}}))
    with pytest.raises(RuntimeError):
        await result.journal.write([], {})


async def test_resumed_until_replays_finished_iterations_without_re_deciding_them() -> None:
    # Iterations 0-2 finished before the checkpoint and left n = 'stop'. Evaluating the condition again after
    # iteration 0 would see that later value and end the loop one iteration in.
    actions = {
        "Loop": {
            "type": "Until",
            "expression": "@equals(variables('n'), 'stop')",
            "actions": {
                "Bump": {
                    "type": "SetVar",
                    "inputs": {"name": "n", "value": "@if(equals(iterationIndexes('Loop'), 2), 'stop', 'go')"},
                }
            },
        }
    }
    done = {f"Bump#00000{i}": record(f"Bump#00000{i}", SUCCEEDED) for i in range(3)}
    result = await run(compile_(actions), checkpoint=Checkpoint(records=done, variables={"n": "stop"}))
    assert PROBE.executed == []
    assert result.record("Loop").iteration_count == 3


async def test_until_runs_until_the_variable_condition_holds() -> None:
    actions = {
        "Loop": {
            "type": "Until",
            "expression": "@equals(variables('n'), 'stop')",
            "actions": {
                "Bump": {
                    "type": "SetVar",
                    "inputs": {"name": "n", "value": "@if(equals(iterationIndexes('Loop'), 2), 'stop', 'go')"},
                }
            },
        }
    }
    result = await run(compile_(actions))
    assert PROBE.executed == ["Bump", "Bump", "Bump"]
    assert result.record("Loop").iteration_count == 3


class Crash(Exception):
    """The process dies while a durable action runs."""


async def test_a_run_interrupted_during_a_durable_action_resumes_from_its_journal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(scheduler, "RUNNING_VISIBLE_AFTER", 0)  # the crash comes after it was written as Running
    from keyless.workflows.actions.base import ActionSpec, Outcome
    from keyless.workflows.definition import compile_definition
    from keyless.workflows.memory_journal import InMemoryJournal
    from tests.workflows.fakes import REGISTRY, definition

    calls: list[object] = []

    async def flaky(config: object, ctx: object) -> Outcome:
        value = ctx.evaluate(config)  # type: ignore[attr-defined]
        calls.append(value)
        if len(calls) == 1:
            for _ in range(20):  # still running when the announcement is written
                await asyncio.sleep(0)
            raise Crash
        return Outcome(SUCCEEDED, "OK", inputs=value, outputs=value)

    registry = {
        **REGISTRY,
        "flaky": ActionSpec("Flaky", lambda spec, ctx: ctx.value(spec["inputs"], "inputs"), flaky, durable=True),
    }
    actions = {
        "Before": {"type": "SetVar", "inputs": {"name": "v", "value": 5}},
        "Call": {"type": "Flaky", "inputs": "@variables('v')", "runAfter": {"Before": ["Succeeded"]}},
        "After": {"type": "Echo", "inputs": "@outputs('Call')", "runAfter": {"Call": ["Succeeded"]}},
    }
    workflow = compile_definition(definition(actions), registry=registry)
    first = InMemoryJournal()
    with pytest.raises(Crash):
        await run(workflow, journal=first)
    assert first.outcome is None
    assert first.checkpoint.records["Call"].status == RUNNING
    assert first.checkpoint.records["Before"].status == SUCCEEDED
    PROBE.executed.clear()

    result = await run(workflow, journal=InMemoryJournal(first.checkpoint))
    assert calls == [5, 5]  # the durable action runs again (at least once)
    assert PROBE.executed == ["After"]  # the pure action before it is not repeated
    assert result.record("After").outputs == 5
    assert result.outcome.status == SUCCEEDED
