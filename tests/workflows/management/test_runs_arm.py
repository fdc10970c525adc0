"""Runs, actions, repetitions, trigger histories, triggers and content links, read through ARM and azure-mgmt-logic
from records written with RunHistory directly (as the runtime writes them)."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.logic import LogicManagementClient
from azure.mgmt.logic.models import RegenerateActionParameter
from starlette.applications import Starlette

from keyless.workflows import callback, ids
from keyless.workflows.management import contents
from keyless.workflows.records import ActionRecord, RunOutcome, repetition_key
from tests.workflows.management.conftest import API, RecordingRuntime, World, simple_definition


@dataclass
class Seeded:
    name: str
    id: str
    runs: list[str]  # newest first
    failed: str
    running: str


def _trigger(n: int) -> ActionRecord:
    now = ids.timestamp()
    return ActionRecord(
        "manual",
        "manual",
        "Succeeded",
        "OK",
        now,
        now,
        {"method": "POST"},
        {"body": {"n": n}},
        True,
        True,
        tracking_id=ids.tracking_id(),
    )


def _records() -> list[ActionRecord]:
    t = ids.timestamp()
    http = ActionRecord(
        "HTTP",
        "HTTP",
        "Succeeded",
        "OK",
        t,
        t,
        {"method": "GET", "uri": "https://example.test"},
        {"statusCode": 200, "body": {"ok": True}},
        True,
        True,
        tracking_id=ids.tracking_id(),
    )
    skipped = ActionRecord(
        "Later",
        "Later",
        "Skipped",
        "ActionSkipped",
        t,
        t,
        error={"code": "ActionConditionFailed", "message": "skipped"},
    )
    loop = ActionRecord("Loop", "Loop", "Succeeded", "NotSpecified", t, t, iteration_count=3)
    inner = [
        ActionRecord(
            repetition_key("Inner", [i]),
            "Inner",
            "Succeeded",
            "OK",
            t,
            t,
            i,
            {"item": i},
            True,
            True,
            repetition={"Loop": i},
        )
        for i in range(3)
    ]
    return [http, skipped, loop, *inner]


async def _seed(world: World, wf_id: str, count: int) -> tuple[list[str], str, str]:
    history = world.plane.history
    version = (await history.versions(wf_id))[0]
    names = []
    for n in range(count):
        name = ids.run_name()
        await history.create_run(
            wf_id, name, version=version, trigger_name="manual", trigger=_trigger(n), client_tracking_id=f"track-{n}"
        )
        journal = history.journal(wf_id, name)
        await journal.write(_records(), {"n": n})
        if n < count - 1:
            failed = n == 1
            await journal.finish(
                RunOutcome("Failed", "ActionFailed", {"code": "ActionFailed", "message": "x"})
                if failed
                else RunOutcome("Succeeded", "NotSpecified", None, {"result": {"type": "Int", "value": n}})
            )
        names.append(name)
    return list(reversed(names)), names[1], names[-1]


@pytest.fixture(scope="module")
def seeded(world: World) -> Seeded:
    name = world.unique()
    definition = simple_definition()
    definition["triggers"]["manual"]["inputs"].update(method="PUT", relativePath="orders/{id}/lines/{line}")
    r = world.put(name, {"location": "westus", "properties": {"definition": definition}})
    assert r.status_code == 201, r.text
    wf_id = r.json()["id"]
    runs, failed, running = world.kl.run(_seed(world, wf_id, 5))
    return Seeded(name, wf_id, runs, failed, running)


def test_runs_list_newest_first_in_pages(world: World, seeded: Seeded) -> None:
    group = world.arm.e["resource_group"]
    first = world.arm.arm("GET", world.wf_path(seeded.name) + "/runs?$top=2", API)
    assert first.status_code == 200 and len(first.json()["value"]) == 2 and "nextLink" in first.json()
    with world.arm.mgmt_client(LogicManagementClient) as client:
        listed = list(client.workflow_runs.list(group, seeded.name, top=2))
        assert [r.name for r in listed] == seeded.runs
        failed = list(client.workflow_runs.list(group, seeded.name, filter="status eq 'Failed'"))
        assert [r.name for r in failed] == [seeded.failed]
        run = client.workflow_runs.get(group, seeded.name, seeded.failed)
    assert (
        run.status == "Failed" and run.code == "ActionFailed" and run.error == {"code": "ActionFailed", "message": "x"}
    )
    assert run.type == "Microsoft.Logic/workflows/runs" and run.id == f"{seeded.id}/runs/{seeded.failed}"
    assert run.workflow.type == "Microsoft.Logic/workflows/versions" and len(run.workflow.name) == 20
    assert run.trigger.name == "manual" and run.trigger.status == "Succeeded"
    assert run.trigger.outputs_link.content_size == len(b'{"body":{"n":1}}')
    assert run.correlation.client_tracking_id == "track-1"
    assert run.start_time is not None and run.end_time is not None
    raw = world.arm.arm("GET", world.wf_path(seeded.name) + f"/runs/{seeded.running}", API).json()["properties"]
    assert raw["status"] == "Running" and "endTime" not in raw and "code" not in raw
    assert raw["startTime"].endswith("Z") and len(raw["startTime"].split(".")[1]) == 8  # 7 digits and Z


def test_run_filters_refuse_what_they_cannot_apply(world: World, seeded: Seeded) -> None:
    path = world.wf_path(seeded.name) + "/runs"
    r = world.arm.arm("GET", path + "?$filter=workflow/name eq 'x'", API)
    assert r.status_code == 400 and "workflow/name" in r.json()["error"]["message"]
    r = world.arm.arm("GET", path + "?$filter=status eq 'Exploded'", API)
    assert r.status_code == 400 and "Exploded" in r.json()["error"]["message"]
    future = world.arm.arm("GET", path + "?$filter=startTime ge 2999-01-01T00:00:00Z", API)
    assert future.status_code == 200 and future.json()["value"] == []
    past = world.arm.arm("GET", path + "?$filter=startTime ge 2000-01-01T00:00:00Z and status eq 'succeeded'", API)
    assert len(past.json()["value"]) == 3


def test_unknown_runs_and_workflows_are_404(world: World, seeded: Seeded) -> None:
    r = world.arm.arm("GET", world.wf_path(seeded.name) + "/runs/08584640926573727105946217888CU00", API)
    assert r.status_code == 404 and r.json()["error"]["code"] == "WorkflowRunNotFound"
    r = world.arm.arm("GET", world.wf_path("no-such-workflow") + "/runs", API)
    assert r.status_code == 404 and r.json()["error"]["code"] == "ResourceNotFound"
    r = world.arm.arm("GET", world.wf_path(seeded.name) + "/runs", "2015-01-01")
    assert r.status_code == 400 and r.json()["error"]["code"] == "NoRegisteredProviderFound"


def test_actions_and_repetitions(world: World, seeded: Seeded) -> None:
    group = world.arm.e["resource_group"]
    run = seeded.runs[0]
    with world.arm.mgmt_client(LogicManagementClient) as client:
        actions = {a.name: a for a in client.workflow_run_actions.list(group, seeded.name, run, top=1)}
        assert set(actions) == {"HTTP", "Later", "Loop", "Inner"}
        http = client.workflow_run_actions.get(group, seeded.name, run, "http")
        failed_only = list(client.workflow_run_actions.list(group, seeded.name, run, filter="status eq 'Skipped'"))
        reps = list(client.workflow_run_action_repetitions.list(group, seeded.name, run, "Inner"))
        one = client.workflow_run_action_repetitions.get(group, seeded.name, run, "Inner", "000002")
        with pytest.raises(ResourceNotFoundError):
            client.workflow_run_actions.get(group, seeded.name, run, "Nope")
    assert http.type == "Microsoft.Logic/workflows/runs/actions" and http.status == "Succeeded" and http.code == "OK"
    assert http.inputs_link.content_hash.algorithm == "md5" and http.outputs_link.uri
    assert http.correlation.action_tracking_id
    later = actions["Later"]
    assert later.status == "Skipped" and later.inputs_link is None and later.outputs_link is None
    assert later.error == {"code": "ActionConditionFailed", "message": "skipped"}
    assert actions["Loop"].inputs_link is None
    assert [a.name for a in failed_only] == ["Later"]
    assert [r.name for r in reps] == ["000000", "000001", "000002"]
    assert one.repetition_indexes[0].scope_name == "Loop" and one.repetition_indexes[0].item_index == 2
    assert one.type == "Microsoft.Logic/workflows/runs/actions/repetitions"


def test_trigger_histories(world: World, seeded: Seeded) -> None:
    group = world.arm.e["resource_group"]
    with world.arm.mgmt_client(LogicManagementClient) as client:
        histories = list(client.workflow_trigger_histories.list(group, seeded.name, "manual", top=3))
        one = client.workflow_trigger_histories.get(group, seeded.name, "MANUAL", seeded.failed)
        with pytest.raises(ResourceNotFoundError):
            client.workflow_trigger_histories.get(group, seeded.name, "other", seeded.failed)
    assert [h.name for h in histories] == seeded.runs
    assert one.fired is True and one.run.name == seeded.failed and one.run.type == "Microsoft.Logic/workflows/runs"
    assert one.status == "Succeeded" and one.outputs_link is not None
    assert one.type == "Microsoft.Logic/workflows/triggers/histories"


async def _fetch(world: World, uri: str) -> httpx.Response:
    app = Starlette(routes=contents.routes(world.plane))
    parts = urlsplit(uri)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://logic.test") as http:
        return await http.get(f"{parts.path}?{parts.query}")


def test_content_links_serve_the_content_and_refuse_bad_signatures(world: World, seeded: Seeded) -> None:
    group = world.arm.e["resource_group"]
    run = seeded.runs[0]
    with world.arm.mgmt_client(LogicManagementClient) as client:
        http = client.workflow_run_actions.get(group, seeded.name, run, "HTTP")
        rep = client.workflow_run_action_repetitions.get(group, seeded.name, run, "Inner", "000001")
        got_run = client.workflow_runs.get(group, seeded.name, run)
    for link, expected in (
        (http.outputs_link, {"statusCode": 200, "body": {"ok": True}}),
        (http.inputs_link, {"method": "GET", "uri": "https://example.test"}),
        (rep.outputs_link, {"item": 1}),
        (got_run.trigger.outputs_link, {"body": {"n": 4}}),
    ):
        query = parse_qs(urlsplit(link.uri).query)
        assert query["sp"][0].endswith("/read") and query["se"] and len(query["sig"][0]) == 43
        r = world.kl.run(_fetch(world, link.uri))
        assert r.status_code == 200, r.text
        assert json.loads(r.content) == expected
        assert len(r.content) == link.content_size
        assert base64.b64encode(hashlib.md5(r.content).digest()).decode() == link.content_hash.value

    query = parse_qs(urlsplit(http.outputs_link.uri).query)
    tampered = http.outputs_link.uri.replace(
        query["sig"][0], ("A" if query["sig"][0][0] != "A" else "B") + query["sig"][0][1:]
    )
    r = world.kl.run(_fetch(world, tampered))
    assert r.status_code == 401 and r.json()["error"]["code"] == "AuthorizationFailed"
    # A valid signature for the inputs does not open the outputs.
    in_query = urlsplit(http.inputs_link.uri).query
    r = world.kl.run(_fetch(world, f"{urlsplit(http.outputs_link.uri).path}?{in_query}"))
    assert r.status_code == 401
    r = world.kl.run(_fetch(world, urlsplit(http.outputs_link.uri).path))
    assert r.status_code == 401 and "('sp')" in r.json()["error"]["message"]


def test_triggers_and_callback_urls(world: World, seeded: Seeded) -> None:
    group = world.arm.e["resource_group"]
    with world.arm.mgmt_client(LogicManagementClient) as client:
        triggers = list(client.workflow_triggers.list(group, seeded.name))
        trigger = client.workflow_triggers.get(group, seeded.name, "manual")
        url = client.workflow_triggers.list_callback_url(group, seeded.name, "manual")
        with pytest.raises(ResourceNotFoundError):
            client.workflow_triggers.get(group, seeded.name, "missing")
    assert [t.name for t in triggers] == ["manual"] and trigger.type == "Microsoft.Logic/workflows/triggers"
    assert trigger.state == "Enabled" and trigger.last_execution_time is not None
    assert url.method == "PUT"
    assert url.relative_path == "orders/{id}/lines/{line}" and url.relative_path_parameters == ["id", "line"]
    assert url.base_path.endswith("/triggers/manual/paths/invoke")
    assert url.value.startswith(url.base_path + "/orders/{id}/lines/{line}?")
    assert url.queries.sp == "/triggers/manual/run" and url.queries.sv == "1.0" and len(url.queries.sig) == 43
    assert url.queries.api_version == "2016-10-01"
    keys = world.kl.run(world.plane.keys.keys(seeded.id))
    query = {"sp": url.queries.sp, "sv": url.queries.sv, "sig": url.queries.sig}
    assert callback.verify(keys, query, "/triggers/manual/run") == "/triggers/manual/run"


def test_secondary_key_url_stops_working_after_regenerate(world: World) -> None:
    group = world.arm.e["resource_group"]
    name = world.unique()
    assert world.put(name).status_code == 201
    path = world.wf_path(name) + "/triggers/manual/listCallbackUrl"
    secondary = world.arm.arm("POST", path, API, json={"keyType": "Secondary"}).json()["queries"]
    primary = world.arm.arm("POST", path, API, json={}).json()["queries"]
    assert secondary["sig"] != primary["sig"]
    wf_id = world.arm.arm("GET", world.wf_path(name), API).json()["id"]
    with world.arm.mgmt_client(LogicManagementClient) as client:
        client.workflows.regenerate_access_key(group, name, RegenerateActionParameter(key_type="Secondary"))
    keys = world.kl.run(world.plane.keys.keys(wf_id))
    assert callback.verify(keys, primary, "/triggers/manual/run")
    with pytest.raises(callback.SasError):
        callback.verify(keys, secondary, "/triggers/manual/run")


def test_callback_url_only_for_request_triggers(world: World) -> None:
    name = world.unique()
    definition = simple_definition()
    definition["triggers"] = {"every": {"type": "Recurrence", "recurrence": {"frequency": "Hour", "interval": 1}}}
    r = world.put(name, {"location": "westus", "properties": {"definition": definition, "state": "Disabled"}})
    assert r.status_code == 201, r.text
    r = world.arm.arm("POST", world.wf_path(name) + "/triggers/every/listCallbackUrl", API)
    assert r.status_code == 400 and "Recurrence" in r.json()["error"]["message"]
    got = world.arm.arm("GET", world.wf_path(name) + "/triggers/every", API).json()
    assert got["properties"]["recurrence"] == {"frequency": "Hour", "interval": 1}


def test_run_resubmit_and_cancel_reach_the_runtime(world: World, seeded: Seeded, recording: RecordingRuntime) -> None:
    group = world.arm.e["resource_group"]
    with world.arm.mgmt_client(LogicManagementClient) as client:
        client.workflow_triggers.run(group, seeded.name, "manual")
        client.workflow_trigger_histories.resubmit(group, seeded.name, "manual", seeded.failed)
        client.workflow_runs.cancel(group, seeded.name, seeded.running)
    assert recording.calls == [
        ("start", seeded.id, "manual", None),
        ("resubmit", seeded.id, seeded.failed),
        ("cancel", seeded.id, seeded.running),
    ]
    r = world.arm.arm("POST", world.wf_path(seeded.name) + "/triggers/nope/run", API)
    assert r.status_code == 404 and r.json()["error"]["code"] == "WorkflowTriggerNotFound"


def test_cancel_without_a_runtime_cancels_in_the_history(world: World) -> None:
    name = world.unique()
    r = world.put(name)
    wf_id = r.json()["id"]
    _, _, running = world.kl.run(_seed(world, wf_id, 3))
    svc: Any = world.svc
    previous, svc.workflows = svc.workflows, None
    try:
        with world.arm.mgmt_client(LogicManagementClient) as client:
            client.workflow_runs.cancel(world.arm.e["resource_group"], name, running)
            assert client.workflow_runs.get(world.arm.e["resource_group"], name, running).status == "Cancelled"
            with pytest.raises(HttpResponseError) as again:
                client.workflow_runs.cancel(world.arm.e["resource_group"], name, running)
            assert again.value.status_code == 409
            with pytest.raises(HttpResponseError) as no_runtime:
                client.workflow_triggers.run(world.arm.e["resource_group"], name, "manual")
    finally:
        svc.workflows = previous
    assert no_runtime.value.status_code == 503


def test_deleting_a_workflow_deletes_its_runs(world: World) -> None:
    name = world.unique()
    wf_id = world.put(name).json()["id"]
    runs, _, _ = world.kl.run(_seed(world, wf_id, 2))
    assert world.arm.arm("DELETE", world.wf_path(name), API).status_code == 200
    assert world.kl.run(world.plane.history.run(wf_id, runs[0])) is None
    assert world.put(name).status_code == 201  # the same name again starts with no history
    assert world.arm.arm("GET", world.wf_path(name) + "/runs", API).json()["value"] == []
