"""runAfter semantics (reference §4): order, AND of predecessors, case-insensitive statuses, skip codes and
messages, run status from branch ends, parallel branches."""

from __future__ import annotations

import asyncio

import pytest

from keyless.workflows.records import FAILED, SKIPPED, SUCCEEDED
from tests.workflows.fakes import PROBE, compile_, reset_probe, run


@pytest.fixture(autouse=True)
def _probe() -> None:
    reset_probe()


async def test_sequence_passes_outputs_along() -> None:
    result = await run(
        {
            "A": {"type": "Echo", "inputs": "@triggerBody()['n']"},
            "B": {"type": "Echo", "inputs": "@add(outputs('A'), 1)", "runAfter": {"A": ["Succeeded"]}},
            "C": {"type": "Echo", "inputs": "@{outputs('B')}-@{outputs('A')}", "runAfter": {"B": ["SUCCEEDED"]}},
        },
        body={"n": 41},
    )
    assert result.outcome.status == SUCCEEDED
    assert PROBE.executed == ["A", "B", "C"]
    assert result.record("B").outputs == 42
    assert result.record("B").code == "OK"


async def test_failure_skips_successors_with_condition_failed_and_fails_the_run() -> None:
    result = await run(
        {
            "A": {"type": "Fail", "inputs": 1},
            "B": {"type": "Echo", "inputs": 2, "runAfter": {"A": ["Succeeded"]}},
            "C": {"type": "Echo", "inputs": 3, "runAfter": {"B": ["Succeeded"]}},
        }
    )
    assert result.outcome.status == FAILED
    assert result.outcome.error == {
        "code": "ActionFailed",
        "message": "An action failed. No dependent actions succeeded.",
    }
    b, c = result.record("B"), result.record("C")
    assert (b.status, b.code, b.error["code"]) == (SKIPPED, "ActionSkipped", "ActionConditionFailed")
    assert b.error["message"] == (
        "The execution of template action 'B' is skipped: the 'runAfter' condition for action 'A' is not satisfied. "
        "Expected status values 'Succeeded' and actual value 'Failed'."
    )
    assert c.error["message"].endswith("Expected status values 'Succeeded' and actual value 'Skipped'.")
    assert not b.has_inputs and not b.has_outputs
    assert PROBE.executed == ["A"]


async def test_handler_after_failed_turns_the_run_succeeded() -> None:
    result = await run(
        {
            "Try": {"type": "Fail", "inputs": 1},
            "Catch": {"type": "Echo", "inputs": "@actions('Try').status", "runAfter": {"try": ["Failed", "TimedOut"]}},
        }
    )
    assert result.outcome.status == SUCCEEDED
    assert result.record("Catch").outputs == "Failed"


async def test_skipped_handler_resolves_to_its_predecessor() -> None:
    # The handler never runs; the branch ends in a Skipped action whose predecessor Succeeded.
    result = await run(
        {
            "A": {"type": "Echo", "inputs": 1},
            "OnError": {"type": "Echo", "inputs": 2, "runAfter": {"A": ["FAILED"]}},
        }
    )
    assert result.status("OnError") == SKIPPED
    assert result.outcome.status == SUCCEEDED


async def test_and_of_predecessors_and_parallel_branches_run_concurrently() -> None:
    PROBE.full_at = 2
    workflow = compile_(
        {
            "Left": {"type": "Gate", "inputs": "l"},
            "Right": {"type": "Gate", "inputs": "r"},
            "Join": {
                "type": "Echo",
                "inputs": "@concat(outputs('Left'), outputs('Right'))",
                "runAfter": {"Left": ["Succeeded"], "Right": ["Succeeded"]},
            },
        }
    )
    task = asyncio.create_task(run(workflow))
    await asyncio.wait_for(PROBE.full.wait(), 10)  # both branches are in flight at once
    assert PROBE.current == 2 and "Join" not in PROBE.executed
    PROBE.gate.set()
    result = await task
    assert result.record("Join").outputs == "lr"


async def test_and_is_not_satisfied_when_one_predecessor_failed() -> None:
    result = await run(
        {
            "A": {"type": "Echo", "inputs": 1},
            "B": {"type": "Fail", "inputs": 1},
            "C": {"type": "Echo", "inputs": 1, "runAfter": {"A": ["Succeeded"], "B": ["Succeeded"]}},
            "D": {"type": "Echo", "inputs": 1, "runAfter": {"A": ["Succeeded"], "B": ["Failed"]}},
        }
    )
    assert result.status("C") == SKIPPED
    assert "'B' is not satisfied" in result.record("C").error["message"]
    assert result.status("D") == SUCCEEDED
    # C's branch ends Skipped after a Failed action: the run is Failed even though D handled B.
    assert result.outcome.status == FAILED


async def test_skipped_status_can_be_waited_for() -> None:
    result = await run(
        {
            "A": {"type": "Fail", "inputs": 1},
            "B": {"type": "Echo", "inputs": 1, "runAfter": {"A": ["Succeeded"]}},
            "C": {"type": "Echo", "inputs": 1, "runAfter": {"B": ["skipped"]}},
        }
    )
    assert result.status("B") == SKIPPED
    assert result.status("C") == SUCCEEDED
    assert result.outcome.status == SUCCEEDED


async def test_expression_failure_is_invalid_template() -> None:
    result = await run(
        {
            "A": {"type": "Echo", "inputs": "@div(1, 0)"},
            "B": {"type": "Echo", "inputs": "@variables('nope')"},
        }
    )
    a, b = result.record("A"), result.record("B")
    assert (a.status, a.code, a.error["code"]) == (FAILED, "InvalidTemplate", "InvalidTemplate")
    assert a.error["message"].startswith(
        "Unable to process template language expressions in action 'A' inputs at line '0' and column '0': '"
    )
    assert "nope" in b.error["message"]
    assert result.outcome.status == FAILED


async def test_definition_outputs_are_evaluated_at_the_end() -> None:
    workflow = compile_(
        {"A": {"type": "Echo", "inputs": {"x": "@triggerBody()"}}},
        outputs={
            "result": {"type": "Object", "value": "@outputs('A')"},
            "bad": {"type": "String", "value": "@outputs('A')['y']"},
        },
    )
    result = await run(workflow, body=5)
    assert result.outcome.outputs["result"] == {"type": "Object", "value": {"x": 5}}
    assert result.outcome.outputs["bad"]["error"]["code"] == "InvalidTemplate"
    assert result.journal.outcome == result.outcome
