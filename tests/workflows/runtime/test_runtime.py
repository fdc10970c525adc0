"""WorkflowRuntime on a running keyless: Recurrence fires runs while enabled, cancel, resubmit, child workflows
(Workflow action), and DBOS owning the runs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.platform.inprocess import InProcessKeyless
from tests.workflows.runtime.helpers import deploy, wait_run

REQUEST = {"type": "Request", "kind": "Http", "inputs": {"method": "POST"}}


@pytest.fixture(scope="module")
def kl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessKeyless]:
    server = InProcessKeyless(tmp_path_factory.mktemp("runtime")).start()
    try:
        yield server
    finally:
        server.stop()


def definition(actions: dict[str, Any], triggers: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"contentVersion": "1.0.0.0", "triggers": triggers or {"manual": REQUEST}, "actions": actions}


def runs(kl: InProcessKeyless, workflow_id: str) -> list[Any]:
    return kl.run(kl.svc.workflows.history.list_runs(workflow_id, limit=50))


def start(kl: InProcessKeyless, workflow_id: str, body: Any, **kwargs: Any) -> Any:
    return kl.run(kl.svc.workflows.start(workflow_id, "manual", {"headers": {}, "body": body}, **kwargs))


def test_runs_arriving_while_dbos_starts_are_all_durable(kl: InProcessKeyless) -> None:
    """The first runs of a keyless start DBOS; those arriving meanwhile wait for it rather than run without it."""
    assert not kl.svc.workflows.durable.active  # nothing has run yet in this keyless
    wf = deploy(kl, definition({"Echo": {"type": "Compose", "inputs": "@triggerBody()", "runAfter": {}}}))
    rt = kl.svc.workflows

    async def burst() -> list[Any]:
        import asyncio

        return list(await asyncio.gather(*(rt.start(wf, "manual", {"body": i}) for i in range(5))))

    started = kl.run(burst())
    assert rt.durable.active
    for run in started:
        assert wait_run(kl, wf, run.run_name).status == "Succeeded"
        assert kl.run(rt.durable.known(run.run_name))


def test_recurrence_fires_runs_while_enabled(kl: InProcessKeyless) -> None:
    triggers = {"Every_second": {"type": "Recurrence", "recurrence": {"frequency": "Second", "interval": 1}}}
    wf = deploy(kl, definition({"Tick": {"type": "Compose", "inputs": "tick", "runAfter": {}}}, triggers))
    deadline = time.monotonic() + 30
    while len(runs(kl, wf)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    fired = runs(kl, wf)
    assert len(fired) >= 2
    assert {r.trigger_name for r in fired} == {"Every_second"}
    assert wait_run(kl, wf, fired[-1].name).status == "Succeeded"
    assert (wf.lower(), "every_second") in kl.svc.workflows.scheduler.scheduled()

    body = kl.run(kl.svc.resources.get(wf))
    body["properties"]["state"] = "Disabled"

    async def disable() -> None:
        await kl.svc.resources.put(wf, wf.rsplit("/providers/", 1)[0], "Microsoft.Logic/workflows", body, None)
        await kl.svc.workflows.on_workflow_changed(wf)

    kl.run(disable())
    assert (wf.lower(), "every_second") not in kl.svc.workflows.scheduler.scheduled()


def test_runs_are_dbos_workflows_named_after_the_run(kl: InProcessKeyless) -> None:
    wf = deploy(kl, definition({"Echo": {"type": "Compose", "inputs": "@triggerBody()", "runAfter": {}}}))
    started = start(kl, wf, {"x": 1})
    assert wait_run(kl, wf, started.run_name).status == "Succeeded"
    assert kl.svc.workflows.durable.active
    assert kl.run(kl.svc.workflows.durable.known(started.run_name))


def test_cancel_stops_a_waiting_run(kl: InProcessKeyless) -> None:
    wf = deploy(
        kl,
        definition(
            {
                "Delay": {"type": "Wait", "inputs": {"interval": {"count": 1, "unit": "Hour"}}, "runAfter": {}},
                "After": {"type": "Compose", "inputs": "late", "runAfter": {"Delay": ["Succeeded"]}},
            }
        ),
    )
    started = start(kl, wf, None)
    history = kl.svc.workflows.history
    deadline = time.monotonic() + 30
    while kl.run(history.record(wf, started.run_name, "Delay")) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert kl.run(kl.svc.workflows.cancel(wf, started.run_name)) is True
    run = wait_run(kl, wf, started.run_name)
    assert run.status == "Cancelled"
    after = kl.run(history.record(wf, started.run_name, "After"))
    assert after is None or after.status == "Skipped"  # never ran
    assert kl.run(kl.svc.workflows.cancel(wf, started.run_name)) is False  # finished runs cannot be cancelled


def test_resubmit_runs_again_with_the_same_trigger_outputs(kl: InProcessKeyless) -> None:
    wf = deploy(kl, definition({"Echo": {"type": "Compose", "inputs": "@triggerBody()", "runAfter": {}}}))
    first = start(kl, wf, {"order": 5})
    wait_run(kl, wf, first.run_name)
    again = kl.run(kl.svc.workflows.resubmit(wf, first.run_name))
    assert again.run_name != first.run_name
    assert wait_run(kl, wf, again.run_name).status == "Succeeded"
    record = kl.run(kl.svc.workflows.history.record(wf, again.run_name, "Echo"))
    assert record.outputs == {"order": 5}


def test_workflow_action_runs_the_child_and_reads_its_response(kl: InProcessKeyless) -> None:
    child = deploy(
        kl,
        definition(
            {
                "Answer": {
                    "type": "Response",
                    "kind": "Http",
                    "inputs": {"statusCode": 200, "body": {"got": "@triggerBody()"}},
                    "runAfter": {},
                }
            }
        ),
    )
    parent = deploy(
        kl,
        definition(
            {
                "Call_child": {
                    "type": "Workflow",
                    "inputs": {"host": {"workflow": {"id": child}, "triggerName": "manual"}, "body": {"n": 3}},
                    "runAfter": {},
                }
            }
        ),
    )
    started = start(kl, parent, None)
    assert wait_run(kl, parent, started.run_name).status == "Succeeded"
    record = kl.run(kl.svc.workflows.history.record(parent, started.run_name, "Call_child"))
    assert record.outputs["statusCode"] == 200
    assert record.outputs["body"] == {"got": {"n": 3}}
    child_runs = runs(kl, child)
    assert len(child_runs) == 1
    # The child's run carries the parent's client tracking id, as nested runs do.
    assert child_runs[0].client_tracking_id == started.client_tracking_id


def test_trigger_concurrency_runs_one_at_a_time_and_refuses_beyond_the_waiting_limit(kl: InProcessKeyless) -> None:
    trigger = {**REQUEST, "runtimeConfiguration": {"concurrency": {"runs": 1, "maximumWaitingRuns": 1}}}
    wf = deploy(
        kl,
        definition(
            {"Delay": {"type": "Wait", "inputs": {"interval": {"count": 1, "unit": "Hour"}}, "runAfter": {}}},
            {"manual": trigger},
        ),
    )
    rt = kl.svc.workflows
    history = rt.history
    first = start(kl, wf, 1)
    second = start(kl, wf, 2)
    deadline = time.monotonic() + 30
    while rt.concurrency(wf, "manual") != (1, 1) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert rt.concurrency(wf, "manual") == (1, 1)  # one running, one waiting
    while kl.run(history.record(wf, first.run_name, "Delay")) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert kl.run(history.record(wf, second.run_name, "Delay")) is None  # the waiting run has not begun

    with pytest.raises(Exception) as refused:  # running 1 + waiting 1: a third is refused
        start(kl, wf, 3)
    assert getattr(refused.value, "status", None) == 429

    kl.run(rt.cancel(wf, first.run_name))  # the slot frees: the waiting run goes on
    while kl.run(history.record(wf, second.run_name, "Delay")) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert kl.run(history.record(wf, second.run_name, "Delay")) is not None
    kl.run(rt.cancel(wf, second.run_name))
    assert wait_run(kl, wf, second.run_name).status == "Cancelled"


def test_a_change_made_by_another_keyless_reaches_the_request_path(
    kl: InProcessKeyless, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Processes sharing PostgreSQL learn of each other's changes by re-reading a workflow's head (HEAD_SECONDS);
    here the store is changed behind the runtime's back, as another process would."""
    from keyless.workflows import runtime

    wf = deploy(kl, definition({"Echo": {"type": "Compose", "inputs": "@triggerBody()", "runAfter": {}}}))
    rt = kl.svc.workflows
    assert kl.run(rt.head(wf)).enabled
    body = kl.run(kl.svc.resources.get(wf))
    disabled = {**body, "properties": {**body["properties"], "state": "Disabled"}}
    group = wf.split("/providers/")[0]
    kl.run(kl.svc.resources.put(wf, group, "Microsoft.Logic/workflows", disabled, group))
    assert kl.run(rt.head(wf)).enabled  # still the cached head: no re-read on every call
    monkeypatch.setattr(runtime, "HEAD_SECONDS", 0.0)
    rt._heads[wf.lower()].fresh_until = 0.0  # as if HEAD_SECONDS had passed
    assert not kl.run(rt.head(wf)).enabled
