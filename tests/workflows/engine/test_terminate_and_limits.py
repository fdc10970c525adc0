"""Terminate, limit.timeout, run cancellation, staticResults, secureData and trackedProperties."""

from __future__ import annotations

import asyncio

import pytest

from keyless.workflows.records import CANCELLED, FAILED, SKIPPED, SUCCEEDED, TIMED_OUT
from tests.workflows.fakes import PROBE, compile_, reset_probe, run


@pytest.fixture(autouse=True)
def _probe() -> None:
    reset_probe()


async def test_terminate_failed_sets_the_run_error_and_skips_the_rest() -> None:
    result = await run(
        {
            "Stop": {
                "type": "Terminate",
                "inputs": {"runStatus": "Failed", "runError": {"code": "Bad", "message": "@{triggerBody()} is bad"}},
            },
            "Later": {"type": "Echo", "inputs": 1, "runAfter": {"Stop": ["Succeeded"]}},
        },
        body="input",
    )
    assert result.outcome.status == FAILED
    assert result.outcome.error == {"code": "Bad", "message": "input is bad"}
    stop = result.record("Stop")
    assert (stop.status, stop.code) == (SUCCEEDED, "NotSpecified")
    later = result.record("Later")
    assert (later.status, later.code, later.error) == (SKIPPED, "Terminated", None)


@pytest.mark.parametrize("status", ["Succeeded", "Cancelled"])
async def test_terminate_with_other_statuses(status: str) -> None:
    result = await run({"Stop": {"type": "Terminate", "inputs": {"runStatus": status.upper()}}})
    assert result.outcome.status == status
    assert result.outcome.error is None


async def test_terminate_cancels_actions_in_flight_on_other_branches() -> None:
    result = await run(
        {
            "Slow": {"type": "Block", "inputs": 1},
            "First": {"type": "Echo", "inputs": 1},
            "Scope": {
                "type": "Scope",
                "runAfter": {"First": ["Succeeded"]},
                "actions": {
                    "Stop": {"type": "Terminate", "inputs": {"runStatus": "Cancelled"}},
                    "AfterStop": {"type": "Echo", "inputs": 1, "runAfter": {"Stop": ["Succeeded"]}},
                },
            },
        }
    )
    assert result.outcome.status == CANCELLED
    slow = result.record("Slow")
    assert (slow.status, slow.code) == (CANCELLED, "Terminated")
    assert result.record("AfterStop").code == "Terminated"
    assert result.status("Scope") == SUCCEEDED  # the container of Terminate is not cancelled


async def test_action_timeout_is_timed_out_and_handlers_run() -> None:
    result = await run(
        {
            "Slow": {"type": "Block", "inputs": 1, "limit": {"timeout": "PT0.01S"}},
            "Handler": {"type": "Echo", "inputs": "@actions('Slow').status", "runAfter": {"Slow": ["TimedOut"]}},
        }
    )
    slow = result.record("Slow")
    assert (slow.status, slow.code, slow.error["code"]) == (TIMED_OUT, "ActionTimedOut", "ActionTimedOut")
    assert result.record("Handler").outputs == "TimedOut"
    assert result.outcome.status == SUCCEEDED


async def test_unhandled_timeout_fails_the_run() -> None:
    result = await run({"Slow": {"type": "Block", "inputs": 1, "limit": {"timeout": "PT0.01S"}}})
    assert result.outcome.status == FAILED


async def test_cancelling_the_run() -> None:
    cancel = asyncio.Event()
    workflow = compile_(
        {
            "Slow": {"type": "Block", "inputs": 1},
            "After": {"type": "Echo", "inputs": 1, "runAfter": {"Slow": ["Succeeded", "Failed"]}},
        }
    )
    task = asyncio.create_task(run(workflow, cancel=cancel))
    while "Slow" not in PROBE.executed:
        await asyncio.sleep(0)
    cancel.set()
    result = await task
    assert result.outcome.status == CANCELLED
    assert result.record("Slow").status == CANCELLED
    assert result.record("After").status == SKIPPED
    assert result.journal.outcome.status == CANCELLED


async def test_static_result_replaces_the_action() -> None:
    workflow = compile_(
        {
            "Mocked": {
                "type": "Fail",
                "inputs": 1,
                "runtimeConfiguration": {"staticResult": {"name": "Mocked0", "staticResultOptions": "Enabled"}},
            },
            "Use": {"type": "Echo", "inputs": "@body('Mocked')", "runAfter": {"Mocked": ["Succeeded"]}},
            "Off": {
                "type": "Echo",
                "inputs": "real",
                "runtimeConfiguration": {"staticResult": {"name": "Mocked0", "staticResultOptions": "Disabled"}},
            },
        },
        staticResults={"Mocked0": {"status": "Succeeded", "outputs": {"statusCode": 200, "body": {"ok": True}}}},
    )
    result = await run(workflow)
    mocked = result.record("Mocked")
    assert (mocked.status, mocked.code) == (SUCCEEDED, "OK")
    assert result.record("Use").outputs == {"ok": True}
    assert result.record("Off").outputs == "real"
    assert PROBE.executed == ["Use", "Off"] or PROBE.executed == ["Off", "Use"]


async def test_failed_static_result() -> None:
    workflow = compile_(
        {"Mocked": {"type": "Echo", "inputs": 1, "runtimeConfiguration": {"staticResult": {"name": "F"}}}},
        staticResults={
            "F": {
                "status": "Failed",
                "outputs": {"statusCode": "NotFound", "errors": [{"code": "NotFound", "message": "no"}]},
            }
        },
    )
    result = await run(workflow)
    mocked = result.record("Mocked")
    assert (mocked.status, mocked.code, mocked.error) == (FAILED, "NotFound", {"code": "NotFound", "message": "no"})


async def test_secure_data_hides_history_but_not_expressions() -> None:
    result = await run(
        {
            "Secret": {
                "type": "Echo",
                "inputs": "@triggerBody()",
                "runtimeConfiguration": {"secureData": {"properties": ["inputs", "outputs"]}},
            },
            "Use": {"type": "Echo", "inputs": "@outputs('Secret')", "runAfter": {"Secret": ["Succeeded"]}},
        },
        body="s3cret",
    )
    secret = result.record("Secret")
    assert (secret.inputs, secret.outputs, secret.has_inputs, secret.has_outputs) == (None, None, False, False)
    assert result.record("Use").outputs == "s3cret"


async def test_tracked_properties_are_evaluated_with_action() -> None:
    result = await run(
        {
            "A": {
                "type": "Echo",
                "inputs": {"id": "@triggerBody()"},
                "trackedProperties": {"orderId": "@action().outputs.id", "status": "@action().status", "fixed": 1},
            }
        },
        body=42,
    )
    assert result.record("A").tracked_properties == {"orderId": 42, "status": "Succeeded", "fixed": 1}


async def test_terminate_while_a_durable_action_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    # A side-effecting action that is still running (already written as Running) when Terminate ends the run on
    # another branch: it is cancelled and recorded Cancelled/Terminated, and the run ends as Terminate says.
    from keyless.workflows import scheduler
    from keyless.workflows.actions.base import ActionSpec
    from keyless.workflows.definition import compile_definition
    from tests.workflows.fakes import BLOCK, REGISTRY, definition

    monkeypatch.setattr(scheduler, "RUNNING_VISIBLE_AFTER", 0)
    registry = {**REGISTRY, "durableblock": ActionSpec("DurableBlock", BLOCK.compile, BLOCK.run, durable=True)}
    workflow = compile_definition(
        definition(
            {
                "Call": {"type": "DurableBlock", "inputs": 1},
                "First": {"type": "Echo", "inputs": 1},
                "Stop": {"type": "Terminate", "inputs": {"runStatus": "Failed"}, "runAfter": {"First": ["Succeeded"]}},
            }
        ),
        registry=registry,
    )
    result = await run(workflow)
    assert result.outcome.status == FAILED
    assert result.outcome.error == {"code": "Terminated", "message": "The run was terminated with status 'Failed'."}
    call = result.record("Call")
    assert (call.status, call.code) == (CANCELLED, "Terminated")
