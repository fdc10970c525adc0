"""Foreach (items, repetitions, concurrency 20 / Sequential / configured, failure) and Until (do-while, count and
timeout limits with a pinned clock, iterationIndexes)."""

from __future__ import annotations

import asyncio

import pytest

from keyless.workflows.records import FAILED, SUCCEEDED
from tests.workflows.fakes import PROBE, Clock, compile_, reset_probe, run


@pytest.fixture(autouse=True)
def _probe() -> None:
    reset_probe()


async def test_foreach_runs_once_per_item_with_repetition_records() -> None:
    result = await run(
        {
            "Loop": {
                "type": "Foreach",
                "foreach": "@triggerBody()",
                "actions": {
                    "Double": {"type": "Echo", "inputs": "@mul(item(), 2)"},
                    "Label": {
                        "type": "Echo",
                        "inputs": "@{items('Loop')}:@{outputs('Double')}",
                        "runAfter": {"Double": ["Succeeded"]},
                    },
                },
                "operationOptions": "Sequential",
            },
            "After": {"type": "Echo", "inputs": "@outputs('Label')", "runAfter": {"Loop": ["Succeeded"]}},
        },
        body=[1, 2, 3],
    )
    assert [result.record(f"Label#00000{i}").outputs for i in range(3)] == ["1:2", "2:4", "3:6"]
    assert result.record("Double#000002").repetition == {"Loop": 2}
    loop = result.record("Loop")
    assert (loop.status, loop.code, loop.iteration_count) == (SUCCEEDED, "NotSpecified", 3)
    assert result.record("After").outputs == "3:6"  # outside the loop: the latest repetition


async def test_nested_foreach_keys_and_items() -> None:
    result = await run(
        {
            "Outer": {
                "type": "Foreach",
                "foreach": "@triggerBody()",
                "actions": {
                    "Inner": {
                        "type": "Foreach",
                        "foreach": "@item()",
                        "actions": {"Pair": {"type": "Echo", "inputs": "@{items('Outer')[0]}-@{item()}"}},
                    }
                },
            }
        },
        body=[["a", "b"], ["c"]],
    )
    assert result.record("Pair#000000-000001").outputs == "a-b"
    assert result.record("Pair#000001-000000").outputs == "c-c"
    assert result.record("Pair#000001-000000").repetition == {"Outer": 1, "Inner": 0}


async def concurrency_of(loop: dict[str, object], items: int, expected: int) -> int:
    PROBE.full_at = expected
    workflow = compile_(
        {
            "Loop": {
                "type": "Foreach",
                "foreach": "@triggerBody()",
                "actions": {"G": {"type": "Gate", "inputs": "@item()"}},
                **loop,
            }
        }
    )
    task = asyncio.create_task(run(workflow, body=list(range(items))))
    await asyncio.wait_for(PROBE.full.wait(), 10)
    for _ in range(50):  # give any further repetition every chance to start
        await asyncio.sleep(0)
    at_once = PROBE.current
    PROBE.gate.set()
    result = await task
    assert result.record("Loop").iteration_count == items
    assert sorted(result.record(f"G#{i:06d}").outputs for i in range(items)) == list(range(items))
    assert PROBE.highest == at_once
    return at_once


async def test_foreach_runs_20_repetitions_at_once_by_default() -> None:
    assert await concurrency_of({}, 45, 20) == 20


async def test_foreach_concurrency_setting() -> None:
    assert await concurrency_of({"runtimeConfiguration": {"concurrency": {"repetitions": 3}}}, 10, 3) == 3


async def test_foreach_sequential_runs_one_at_a_time() -> None:
    assert await concurrency_of({"operationOptions": "Sequential"}, 5, 1) == 1


async def test_foreach_fails_when_a_repetition_fails() -> None:
    result = await run(
        {
            "Loop": {
                "type": "Foreach",
                "foreach": "@triggerBody()",
                "actions": {
                    "Check": {
                        "type": "If",
                        "expression": "@equals(item(), 2)",
                        "actions": {"Boom": {"type": "Fail", "inputs": 1}},
                    }
                },
            }
        },
        body=[1, 2, 3],
    )
    loop = result.record("Loop")
    assert (loop.status, loop.code) == (FAILED, "ActionFailed")
    assert result.record("Check#000001").status == FAILED
    assert result.record("Check#000002").status == SUCCEEDED
    assert result.outcome.status == FAILED


async def test_foreach_over_a_non_array_is_invalid_template() -> None:
    result = await run(
        {"Loop": {"type": "Foreach", "foreach": "@triggerBody()", "actions": {"X": {"type": "Echo", "inputs": 1}}}},
        body={"a": 1},
    )
    loop = result.record("Loop")
    assert (loop.status, loop.code) == (FAILED, "InvalidTemplate")
    assert loop.error["message"] == (
        "The execution of template action 'Loop' failed: the result of the evaluation of 'foreach' expression "
        "'@triggerBody()' is of type 'Object'. The result must be a valid array."
    )
    assert result.record("X").error["code"] == "ActionDependencyFailed"


async def test_foreach_over_an_empty_array_succeeds() -> None:
    result = await run(
        {"Loop": {"type": "Foreach", "foreach": "@triggerBody()", "actions": {"X": {"type": "Echo", "inputs": 1}}}},
        body=[],
    )
    assert result.record("Loop").status == SUCCEEDED
    assert PROBE.executed == []


def counter_until(expression: str, limit: dict[str, object] | None = None) -> dict[str, object]:
    until: dict[str, object] = {
        "type": "Until",
        "expression": expression,
        "actions": {"Step": {"type": "Echo", "inputs": "@iterationIndexes('Until')"}},
    }
    if limit is not None:
        until["limit"] = limit
    return {"Until": until}


async def test_until_is_a_do_while_loop() -> None:
    result = await run(counter_until("@true"))
    assert result.record("Until").iteration_count == 1
    assert PROBE.executed == ["Step"]


async def test_until_stops_when_the_condition_holds() -> None:
    result = await run(counter_until("@equals(outputs('Step'), 4)"))
    until = result.record("Until")
    assert (until.status, until.code, until.iteration_count) == (SUCCEEDED, "NotSpecified", 5)
    assert result.record("Step#000004").outputs == 4
    assert result.record("Step#000004").repetition == {"Until": 4}


async def test_until_count_limit_ends_the_loop_without_failing() -> None:
    result = await run(counter_until("@false", {"count": 7}))
    until = result.record("Until")
    assert (until.status, until.iteration_count) == (SUCCEEDED, 7)
    assert result.outcome.status == SUCCEEDED


async def test_until_default_count_is_60() -> None:
    result = await run(counter_until("@false"))
    assert result.record("Until").iteration_count == 60


async def test_until_timeout_is_checked_after_each_iteration() -> None:
    clock = Clock()
    PROBE.hooks["Step"] = lambda ctx: clock.advance(minutes=10)
    result = await run(counter_until("@false", {"count": 5000, "timeout": "PT1H"}), clock=clock)
    assert result.record("Until").iteration_count == 6


async def test_until_object_form_condition() -> None:
    result = await run(
        counter_until("", None)
        | {
            "Until": {
                "type": "Until",
                "expression": {"greaterOrEquals": ["@outputs('Step')", 2]},
                "actions": {"Step": {"type": "Echo", "inputs": "@iterationIndexes('Until')"}},
            }
        }
    )
    assert result.record("Until").iteration_count == 3
