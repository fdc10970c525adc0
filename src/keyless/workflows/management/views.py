"""The JSON shapes of runs, actions, repetitions, trigger histories, triggers and versions (reference §6.1,
the 2019-05-01 examples and azure-mgmt-logic's models): every field the SDK reads, none it does not."""

from __future__ import annotations

from typing import Any

from keyless.workflows.history import RunView
from keyless.workflows.management.contents import link, repetition_name
from keyless.workflows.management.plane import WORKFLOWS, Plane
from keyless.workflows.records import FINISHED, ActionRecord

RUNS = f"{WORKFLOWS}/runs"
ACTIONS = f"{RUNS}/actions"
REPETITIONS = f"{ACTIONS}/repetitions"
TRIGGERS = f"{WORKFLOWS}/triggers"
HISTORIES = f"{TRIGGERS}/histories"
VERSIONS = f"{WORKFLOWS}/versions"


def version_ref(workflow_id: str, version: str) -> dict[str, str]:
    return {"id": f"{workflow_id}/versions/{version}", "name": version, "type": VERSIONS}


def run_ref(workflow_id: str, run_name: str) -> dict[str, str]:
    return {"id": f"{workflow_id}/runs/{run_name}", "name": run_name, "type": RUNS}


async def _links(
    plane: Plane, workflow_id: str, run_name: str, record: ActionRecord, *, trigger: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field, outputs in (("inputsLink", False), ("outputsLink", True)):
        found = await link(plane, workflow_id, run_name, record, trigger=trigger, outputs=outputs)
        if found is not None:
            out[field] = found
    return out


def _times(record: ActionRecord) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if record.start_time:
        out["startTime"] = record.start_time
    if record.end_time:
        out["endTime"] = record.end_time
    if record.scheduled_time:  # trigger records of Recurrence runs (SPEC WorkflowRuns_Get, trigger histories)
        out["scheduledTime"] = record.scheduled_time
    return out


async def run_trigger(plane: Plane, workflow_id: str, run: RunView) -> dict[str, Any]:
    """`properties.trigger` of a run (WorkflowRunTrigger)."""
    t = run.trigger
    out: dict[str, Any] = {"name": t.name}
    out.update(await _links(plane, workflow_id, run.name, t, trigger=True))
    out.update(_times(t))
    out.update(
        trackingId=t.tracking_id,
        correlation={"clientTrackingId": run.client_tracking_id},
        code=t.code,
        status=t.status,
    )
    if t.error:
        out["error"] = t.error
    if t.tracked_properties:
        out["trackedProperties"] = t.tracked_properties
    return out


async def run(plane: Plane, workflow_id: str, view: RunView) -> dict[str, Any]:
    props: dict[str, Any] = {"waitEndTime": view.start_time, "startTime": view.start_time}
    if view.end_time:
        props["endTime"] = view.end_time
    props["status"] = view.status
    if view.status in FINISHED and view.code != "NotSpecified":
        # [unconfirmed] Azure's run examples show no run-level code for a plain Succeeded run.
        props["code"] = view.code
    if view.error:
        props["error"] = view.error
    props["correlation"] = {"clientTrackingId": view.client_tracking_id}
    props["workflow"] = version_ref(workflow_id, view.version)
    props["trigger"] = await run_trigger(plane, workflow_id, view)
    props["outputs"] = view.outputs
    return {**run_ref(workflow_id, view.name), "properties": props}


async def _record_properties(plane: Plane, workflow_id: str, run_name: str, record: ActionRecord) -> dict[str, Any]:
    props: dict[str, Any] = await _links(plane, workflow_id, run_name, record, trigger=False)
    props.update(_times(record))
    props["correlation"] = {"actionTrackingId": record.tracking_id, "clientTrackingId": record.client_tracking_id}
    props.update(status=record.status, code=record.code)
    if record.error:
        props["error"] = record.error
    if record.tracked_properties:
        props["trackedProperties"] = record.tracked_properties
    if record.retry_history:
        props["retryHistory"] = record.retry_history
    if record.iteration_count is not None:
        props["iterationCount"] = record.iteration_count
    return props


async def action(plane: Plane, workflow_id: str, run_name: str, record: ActionRecord) -> dict[str, Any]:
    return {
        "id": f"{workflow_id}/runs/{run_name}/actions/{record.name}",
        "name": record.name,
        "type": ACTIONS,
        "properties": await _record_properties(plane, workflow_id, run_name, record),
    }


async def repetition(plane: Plane, workflow_id: str, run_name: str, record: ActionRecord) -> dict[str, Any]:
    name = repetition_name(record) or "000000"
    props = await _record_properties(plane, workflow_id, run_name, record)
    # [unconfirmed] order: outermost loop first, as the record key writes the indexes.
    props["repetitionIndexes"] = [{"scopeName": s, "itemIndex": i} for s, i in record.repetition.items()]
    return {
        "id": f"{workflow_id}/runs/{run_name}/actions/{record.name}/repetitions/{name}",
        "name": name,
        "type": REPETITIONS,
        "properties": props,
    }


async def trigger_history(plane: Plane, workflow_id: str, view: RunView) -> dict[str, Any]:
    t = view.trigger
    props: dict[str, Any] = _times(t)
    props.update(status=t.status, code=t.code, trackingId=t.tracking_id)
    props["correlation"] = {"clientTrackingId": view.client_tracking_id}
    if t.error:
        props["error"] = t.error
    props.update(await _links(plane, workflow_id, view.name, t, trigger=True))
    props["fired"] = True
    props["run"] = run_ref(workflow_id, view.name)
    return {
        "id": f"{workflow_id}/triggers/{view.trigger_name}/histories/{view.name}",
        "name": view.name,
        "type": HISTORIES,
        "properties": props,
    }


def trigger(workflow: dict[str, Any], name: str, spec: dict[str, Any], last_run: RunView | None) -> dict[str, Any]:
    wprops = workflow.get("properties", {})
    props: dict[str, Any] = {
        "provisioningState": "Succeeded",
        "createdTime": wprops.get("createdTime"),
        "changedTime": wprops.get("changedTime"),
        # [unconfirmed] a trigger's state follows its workflow's (keyless has no per-trigger setState).
        "state": wprops.get("state", "Enabled"),
        "workflow": version_ref(workflow["id"], wprops.get("version", "")),
    }
    if last_run is not None:
        props["lastExecutionTime"] = last_run.start_time
    recurrence = spec.get("recurrence")
    if isinstance(recurrence, dict):
        props["recurrence"] = recurrence
    return {"id": f"{workflow['id']}/triggers/{name}", "name": name, "type": TRIGGERS, "properties": props}


def version(workflow: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    wprops = workflow.get("properties", {})
    props = {
        "createdTime": stored["createdTime"],
        "changedTime": stored["createdTime"],
        "state": wprops.get("state"),
        "version": stored["version"],
        "accessEndpoint": wprops.get("accessEndpoint"),
        "endpointsConfiguration": wprops.get("endpointsConfiguration"),
        "definition": stored["definition"],
        "parameters": stored["parameters"],
    }
    return {
        **version_ref(workflow["id"], stored["version"]),
        "location": workflow.get("location"),
        "tags": workflow.get("tags") or {},
        "properties": props,
    }
