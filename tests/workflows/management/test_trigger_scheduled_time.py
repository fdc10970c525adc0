"""Recurrence runs' `scheduledTime` in the run's `properties.trigger` and the trigger history (reference §2.2,
§6.1), and trigger properties keyless refuses at PUT rather than ignore (splitOn on a Recurrence)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from azure.mgmt.logic import LogicManagementClient

from keyless.workflows.history import RunView
from keyless.workflows.management import views
from keyless.workflows.records import ActionRecord
from keyless.workflows.triggers import recurrence
from tests.workflows.management.conftest import API, World, simple_definition

SCHEDULED = "2026-05-01T09:00:00.0000000Z"
FIRED = "2026-05-01T09:00:00.1234567Z"


def _recurrence_definition() -> dict[str, Any]:
    definition = simple_definition()
    definition["triggers"] = {"Daily": {"type": "Recurrence", "recurrence": {"frequency": "Day", "interval": 1}}}
    return definition


def _trigger_record() -> ActionRecord:
    return ActionRecord(
        key="Daily",
        name="Daily",
        status="Succeeded",
        code="OK",
        start_time=FIRED,
        end_time=FIRED,
        tracking_id="t-1",
        client_tracking_id="c-1",
        scheduled_time=SCHEDULED,
    )


def test_recurrence_split_on_is_refused_at_put(world: World) -> None:
    definition = _recurrence_definition()
    definition["triggers"]["Daily"]["splitOn"] = "@triggerBody()"
    r = world.put(world.unique(), {"location": "westus", "properties": {"definition": definition}})
    assert r.status_code == 400
    assert "splitOn" in r.json()["error"]["message"] and "Recurrence" in r.json()["error"]["message"]


def test_split_on_configuration_without_split_on_is_refused_at_put(world: World) -> None:
    definition = simple_definition()
    definition["triggers"]["manual"]["splitOnConfiguration"] = {"correlation": {"clientTrackingId": "@guid()"}}
    r = world.put(world.unique(), {"location": "westus", "properties": {"definition": definition}})
    assert r.status_code == 400 and "splitOnConfiguration" in r.json()["error"]["message"]


def test_views_show_the_scheduled_time(world: World) -> None:
    wf_id = world.wf_path("scheduled")
    view = RunView(
        workflow_id=wf_id,
        name="08585000000000000000000000000CU00",
        version="08585000000000000000",
        trigger_name="Daily",
        status="Succeeded",
        code="NotSpecified",
        start_time=FIRED,
        end_time=FIRED,
        client_tracking_id="c-1",
        error=None,
        outputs={},
        trigger=_trigger_record(),
        response_sent=False,
    )
    run = world.kl.run(views.run(world.plane, wf_id, view))
    assert run["properties"]["trigger"]["scheduledTime"] == SCHEDULED
    assert run["properties"]["trigger"]["startTime"] == FIRED
    history = world.kl.run(views.trigger_history(world.plane, wf_id, view))
    assert history["properties"]["scheduledTime"] == SCHEDULED
    plain = RunView(**{**view.__dict__, "trigger": ActionRecord("manual", "manual", "Succeeded", "OK", FIRED, FIRED)})
    assert "scheduledTime" not in world.kl.run(views.trigger_history(world.plane, wf_id, plain))["properties"]


def test_a_recurrence_runs_scheduled_time_reaches_the_management_api(world: World) -> None:
    """The scheduler's occurrence → the run's trigger record → the history → GET run / trigger history."""
    name = world.unique()
    definition = _recurrence_definition()
    far = {"frequency": "Day", "interval": 1, "startTime": "2099-01-01T09:00:00Z"}  # never due during the test
    definition["triggers"]["Daily"]["recurrence"] = far
    r = world.put(name, {"location": "westus", "properties": {"definition": definition}})
    assert r.status_code == 201, r.text
    wf_id = r.json()["id"]
    runtime = world.svc.workflows
    schedule = recurrence.Schedule(wf_id, "Daily", recurrence.parse(far), datetime.now(UTC))
    world.kl.run(runtime._fire_recurrence(schedule, datetime(2026, 5, 1, 9, 0, tzinfo=UTC)))
    (run,) = world.kl.run(runtime.history.list_runs(wf_id, limit=5))
    got = world.arm.arm("GET", world.wf_path(name) + f"/runs/{run.name}", API).json()
    assert got["properties"]["trigger"]["scheduledTime"] == SCHEDULED
    with world.arm.mgmt_client(LogicManagementClient) as client:
        history = client.workflow_trigger_histories.get(world.arm.e["resource_group"], name, "Daily", run.name)
    assert history.scheduled_time == datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
