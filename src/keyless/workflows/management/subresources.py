"""Runs, actions, repetitions, triggers, trigger histories and versions of `Microsoft.Logic/workflows`.

These are not ARM-stored resources: they are read from the run history (and triggers from the definition), so
the generic router, which serves what the ARM store holds, cannot serve them. `install` registers `match` with
`ManagementApp.extend_matching`: after bearer authentication, any path under a workflow's `runs`, `triggers` or
`versions` comes here. It also takes the workflow PUT/PATCH/DELETE, hands them to the router as ManagementApp
would, and tells the runtime once the change is stored (`prepare` runs before the store write).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from keyless.arm.app import Extension, ManagementApp
from keyless.arm.errors import ArmError
from keyless.arm.resource_id import ResourcePath, parse
from keyless.arm.router import PAGE_SIZE, page
from keyless.identity.bearer import Caller
from keyless.workflows.callback import SAS_VERSION, sign
from keyless.workflows.history import RunView
from keyless.workflows.management import views
from keyless.workflows.management.odata import parse_filter
from keyless.workflows.management.plane import RUNTIME_API_VERSION, Plane
from keyless.workflows.records import (
    ABORTED,
    CANCELLED,
    FAILED,
    RUNNING,
    SKIPPED,
    SUCCEEDED,
    TIMED_OUT,
    WAITING,
    ActionRecord,
)

STATUSES = (SUCCEEDED, FAILED, SKIPPED, TIMED_OUT, CANCELLED, RUNNING, WAITING, ABORTED)
KEY_TYPES = ("Primary", "Secondary", "NotSpecified")

Handler = Callable[["Call"], Awaitable[Response]]


@dataclasses.dataclass
class Call:
    """One request under a workflow: its id as stored, its body as stored, what follows it in the path."""

    request: Request
    workflow: dict[str, Any]
    rest: list[str]
    query: dict[str, str]
    api_version: str
    base_url: str

    @property
    def workflow_id(self) -> str:
        return str(self.workflow["id"])


def _not_found(code: str, message: str) -> ArmError:
    return ArmError(404, code, message)  # [unconfirmed] codes and messages of the Logic Apps 404s


def _top(query: dict[str, str]) -> int:
    try:
        top = int(query.get("$top", str(PAGE_SIZE)))
    except ValueError as exc:
        raise ArmError(400, "InvalidTopValue", f"The value '{query.get('$top')}' of '$top' is invalid.") from exc
    return max(1, min(top, 250))


def _status(value: str | None) -> str | None:
    if value is None:
        return None
    found = next((s for s in STATUSES if s.lower() == value.lower()), None)
    if found is None:
        raise ArmError(400, "InvalidFilter", f"The status '{value}' is not one of: {', '.join(STATUSES)}.")
    return found


class Subresources:
    def __init__(self, plane: Plane) -> None:
        self.plane = plane

    # --- dispatch -------------------------------------------------------------------------------------

    def match(self, method: str, path: str) -> Extension | None:
        segs = [s for s in path.split("/") if s]
        low = [s.lower() for s in segs]
        if len(segs) < 8 or low[0] != "subscriptions" or low[2] != "resourcegroups" or low[4] != "providers":
            return None
        if low[5] != "microsoft.logic" or low[6] != "workflows":
            return None
        if len(segs) == 8 and method in ("PUT", "PATCH", "DELETE"):
            return self._write
        rest = segs[8:]
        if not rest or low[8] not in ("runs", "triggers", "versions"):
            return None
        return self._sub

    async def _workflow(self, request: Request, segs: list[str]) -> tuple[dict[str, Any], str]:
        api_version = request.query_params.get("api-version")
        if not api_version:
            raise ArmError(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        path = parse("/" + "/".join(segs[:8]), method="GET")
        assert path is not None
        await self.plane.services.arm.get(path, api_version)  # scope, api-version and 404 as the router answers
        body = await self.plane.services.resources.get(path.resource_id())
        assert body is not None
        return body, api_version

    async def _sub(self, request: Request, _caller: Caller) -> Response:
        segs = [s for s in request.url.path.split("/") if s]
        workflow, api_version = await self._workflow(request, segs)
        call = Call(
            request,
            workflow,
            segs[8:],
            dict(request.query_params),
            api_version,
            f"{request.base_url}".rstrip("/") + request.url.path,
        )
        handler = self._route(request.method, [s.lower() for s in call.rest])
        if handler is None:
            raise ArmError(404, "InvalidResourceType", f"No route matches '{request.method} {request.url.path}'.")
        return await handler(call)

    def _route(self, method: str, rest: list[str]) -> Handler | None:
        n = len(rest)
        table: dict[tuple[str, int, str | None], Handler] = {
            ("GET", 1, "runs"): self.list_runs,
            ("GET", 2, "runs"): self.get_run,
            ("GET", 1, "triggers"): self.list_triggers,
            ("GET", 2, "triggers"): self.get_trigger,
            ("GET", 1, "versions"): self.list_versions,
            ("GET", 2, "versions"): self.get_version,
        }
        if (method, n, rest[0]) in table:
            return table[(method, n, rest[0])]
        if rest[0] == "runs":
            if method == "POST" and n == 3 and rest[2] == "cancel":
                return self.cancel_run
            if method == "GET" and n >= 3 and rest[2] == "actions":
                if n == 3:
                    return self.list_actions
                if n == 4:
                    return self.get_action
                if n in (5, 6) and rest[4] == "repetitions":
                    return self.repetitions
        if rest[0] == "triggers" and n >= 3:
            if method == "POST" and n == 3 and rest[2] == "listcallbackurl":
                return self.list_callback_url
            if method == "POST" and n == 3 and rest[2] == "run":
                return self.run_trigger
            if rest[2] == "histories":
                if method == "GET" and n == 3:
                    return self.list_histories
                if method == "GET" and n == 4:
                    return self.get_history
                if method == "POST" and n == 5 and rest[4] == "resubmit":
                    return self.resubmit
        return None

    async def _write(self, request: Request, _caller: Caller) -> Response:
        """Workflow PUT/PATCH/DELETE through the router (as ManagementApp does), then the runtime is told."""
        arm = self.plane.services.arm
        api_version = request.query_params.get("api-version")
        if not api_version:
            raise ArmError(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        path = parse(request.url.path, method=request.method)
        assert path is not None
        if request.method == "DELETE":
            existing = await self.plane.services.resources.get(path.resource_id())
            if not await arm.delete(path, api_version, dict(request.query_params)):
                return Response(status_code=204)
            assert existing is not None
            await self.plane.changed(existing["id"])
            return Response(status_code=200)
        body = await request.body()
        if request.method == "PUT":
            stored, created = await arm.put(path, api_version, body)
            await self.plane.changed(stored["id"])
            return JSONResponse(stored, status_code=201 if created else 200)
        # The SDK's `workflows.update` sends no body (Azure refreshes the workflow): an empty merge patch.
        stored = await arm.patch(path, api_version, body if body.strip() else b"{}")
        await self.plane.changed(stored["id"])
        return JSONResponse(stored)

    # --- runs -----------------------------------------------------------------------------------------

    async def _runs_page(self, call: Call, trigger_name: str | None, render: Callable[..., Awaitable[Any]]) -> Any:
        top = _top(call.query)
        found = parse_filter(call.query.get("$filter"))
        after = call.query.get("$skiptoken") or None
        runs = await self.plane.history.list_runs(
            call.workflow_id,
            limit=top + 1,
            after=after,
            status=_status(found.status),
            trigger_name=trigger_name,
            start_bounds=found.start_bounds,
        )
        body: dict[str, Any] = {"value": [await render(self.plane, call.workflow_id, r) for r in runs[:top]]}
        if len(runs) > top:
            next_query = {k: v for k, v in call.query.items() if k != "$skiptoken"}
            next_query["$skiptoken"] = runs[top - 1].name
            body["nextLink"] = f"{call.base_url}?{urlencode(next_query)}"
        return JSONResponse(body)

    async def list_runs(self, call: Call) -> Response:
        return await self._runs_page(call, None, views.run)

    async def _run(self, call: Call, name: str) -> RunView:
        found = await self.plane.history.run(call.workflow_id, name)
        if found is None:
            raise _not_found(
                "WorkflowRunNotFound", f"The workflow '{call.workflow['name']}' run '{name}' could not be found."
            )
        return found

    async def get_run(self, call: Call) -> Response:
        return JSONResponse(await views.run(self.plane, call.workflow_id, await self._run(call, call.rest[1])))

    async def cancel_run(self, call: Call) -> Response:
        found = await self._run(call, call.rest[1])
        runtime = self.plane.runtime
        if runtime is not None and hasattr(runtime, "cancel"):
            cancelled = await runtime.cancel(call.workflow_id, found.name)
        else:
            cancelled = await self.plane.history.cancel(call.workflow_id, found.name)
        if cancelled is False:
            # [unconfirmed] Azure refuses cancelling a finished run with a 409.
            raise ArmError(
                409,
                "WorkflowRunNotRunning",
                f"The workflow run '{found.name}' cannot be cancelled: its status is '{found.status}'.",
            )
        return Response(status_code=200)

    # --- actions and repetitions ---------------------------------------------------------------------

    async def list_actions(self, call: Call) -> Response:
        run = await self._run(call, call.rest[1])
        found = parse_filter(call.query.get("$filter"), allow_start_time=False)
        status = _status(found.status)
        by_name: dict[str, ActionRecord] = {}
        for record in await self.plane.history.records(call.workflow_id, run.name):
            # One entry per action; an action inside loops shows its latest repetition.
            current = by_name.get(record.name)
            if current is None or "#" in current.key:
                by_name[record.name] = record
        records = [r for r in by_name.values() if status is None or r.status == status]
        items = [await views.action(self.plane, call.workflow_id, run.name, r) for r in records]
        return JSONResponse(page(items, call.base_url, call.query))

    async def _records(self, call: Call) -> tuple[RunView, list[ActionRecord]]:
        run = await self._run(call, call.rest[1])
        wanted = call.rest[3]
        records = [
            r for r in await self.plane.history.records(call.workflow_id, run.name) if r.name.lower() == wanted.lower()
        ]
        if not records:
            raise _not_found(
                "WorkflowRunActionNotFound",
                f"The workflow '{call.workflow['name']}' run '{run.name}' action '{wanted}' could not be found.",
            )
        return run, records

    async def get_action(self, call: Call) -> Response:
        run, records = await self._records(call)
        record = next((r for r in records if "#" not in r.key), records[-1])
        return JSONResponse(await views.action(self.plane, call.workflow_id, run.name, record))

    async def repetitions(self, call: Call) -> Response:
        run, records = await self._records(call)
        repeated = [r for r in records if "#" in r.key]
        repeated.sort(key=lambda r: r.key)
        if len(call.rest) == 5:
            items = [await views.repetition(self.plane, call.workflow_id, run.name, r) for r in repeated]
            return JSONResponse(page(items, call.base_url, call.query))
        wanted = call.rest[5]
        record = next((r for r in repeated if r.key.split("#", 1)[1] == wanted), None)
        if record is None:
            raise _not_found(
                "WorkflowRunActionRepetitionNotFound",
                f"The workflow run action '{records[0].name}' repetition '{wanted}' could not be found.",
            )
        return JSONResponse(await views.repetition(self.plane, call.workflow_id, run.name, record))

    # --- triggers -------------------------------------------------------------------------------------

    def _triggers(self, call: Call) -> dict[str, Any]:
        definition = call.workflow.get("properties", {}).get("definition") or {}
        triggers = definition.get("triggers") or {}
        return triggers if isinstance(triggers, dict) else {}

    def _trigger(self, call: Call) -> tuple[str, dict[str, Any]]:
        wanted = call.rest[1]
        for name, spec in self._triggers(call).items():
            if name.lower() == wanted.lower():
                return name, spec if isinstance(spec, dict) else {}
        raise _not_found(
            "WorkflowTriggerNotFound", f"The workflow '{call.workflow['name']}' trigger '{wanted}' could not be found."
        )

    async def _last_run(self, call: Call, trigger_name: str) -> RunView | None:
        runs = await self.plane.history.list_runs(call.workflow_id, limit=1, trigger_name=trigger_name)
        return runs[0] if runs else None

    async def list_triggers(self, call: Call) -> Response:
        items = [
            views.trigger(call.workflow, name, spec if isinstance(spec, dict) else {}, await self._last_run(call, name))
            for name, spec in self._triggers(call).items()
        ]
        return JSONResponse(page(items, call.base_url, call.query))

    async def get_trigger(self, call: Call) -> Response:
        name, spec = self._trigger(call)
        return JSONResponse(views.trigger(call.workflow, name, spec, await self._last_run(call, name)))

    async def list_callback_url(self, call: Call) -> Response:
        name, spec = self._trigger(call)
        if str(spec.get("type", "")).lower() != "request":
            # [unconfirmed] code and message
            raise ArmError(
                400,
                "WorkflowTriggerCallbackUrlNotSupported",
                f"The workflow trigger '{name}' of type '{spec.get('type')}' does not have a callback URL.",
            )
        body = await call.request.body()
        params = json.loads(body) if body.strip() else {}
        if not isinstance(params, dict):
            params = {}
        key_type = params.get("keyType") or "Primary"
        if key_type not in KEY_TYPES:
            raise ArmError(400, "InvalidKeyType", f"The key type '{key_type}' is not valid.")
        se = params.get("notAfter") or None
        key = await self.plane.keys.key(call.workflow_id, "Secondary" if key_type == "Secondary" else "Primary")
        return JSONResponse(await callback_url(self.plane, call.workflow_id, name, spec, key, se))

    async def run_trigger(self, call: Call) -> Response:
        name, _ = self._trigger(call)
        runtime = self.plane.require_runtime("start")
        await runtime.start(call.workflow_id, name, None)
        return Response(status_code=202)

    # --- trigger histories ----------------------------------------------------------------------------

    async def list_histories(self, call: Call) -> Response:
        name, _ = self._trigger(call)
        return await self._runs_page(call, name, views.trigger_history)

    async def _history(self, call: Call) -> RunView:
        name, _ = self._trigger(call)
        run = await self.plane.history.run(call.workflow_id, call.rest[3])
        if run is None or run.trigger_name.lower() != name.lower():
            raise _not_found(
                "WorkflowTriggerHistoryNotFound",
                f"The workflow '{call.workflow['name']}' trigger '{name}' history '{call.rest[3]}' could not be found.",
            )
        return run

    async def get_history(self, call: Call) -> Response:
        return JSONResponse(await views.trigger_history(self.plane, call.workflow_id, await self._history(call)))

    async def resubmit(self, call: Call) -> Response:
        run = await self._history(call)
        runtime = self.plane.require_runtime("resubmit")
        await runtime.resubmit(call.workflow_id, run.name)
        return Response(status_code=202)

    # --- versions -------------------------------------------------------------------------------------

    async def list_versions(self, call: Call) -> Response:
        items = []
        for name in await self.plane.history.versions(call.workflow_id):
            stored = await self.plane.history.version(call.workflow_id, name)
            if stored is not None:
                items.append(views.version(call.workflow, stored))
        return JSONResponse(page(items, call.base_url, call.query))

    async def get_version(self, call: Call) -> Response:
        stored = await self.plane.history.version(call.workflow_id, call.rest[1])
        if stored is None:
            raise _not_found(
                "WorkflowVersionNotFound",
                f"The workflow '{call.workflow['name']}' version '{call.rest[1]}' could not be found.",
            )
        return JSONResponse(views.version(call.workflow, stored))


async def callback_url(
    plane: Plane, workflow_id: str, trigger_name: str, spec: dict[str, Any], key: bytes, se: str | None = None
) -> dict[str, Any]:
    """WorkflowTriggerCallbackUrl for a Request trigger, in the Consumption form (§2.1)."""
    inputs = spec.get("inputs") if isinstance(spec.get("inputs"), dict) else {}
    sp = f"/triggers/{trigger_name}/run"
    queries: dict[str, str] = {"api-version": RUNTIME_API_VERSION}
    if se:
        queries["se"] = se
    queries.update(sp=sp, sv=SAS_VERSION, sig=sign(key, sp, SAS_VERSION, se))
    base_path = f"{await plane.access_endpoint(workflow_id)}/triggers/{trigger_name}/paths/invoke"
    relative = str(inputs.get("relativePath") or "").strip("/")
    full = f"{base_path}/{relative}" if relative else base_path
    out: dict[str, Any] = {
        "value": f"{full}?{urlencode(queries)}",
        "method": str(inputs.get("method") or "POST").upper(),
        "basePath": base_path,
        "queries": queries,
    }
    if relative:
        out["relativePath"] = relative
        out["relativePathParameters"] = [p.strip("{}") for p in relative.split("/") if p.startswith("{")]
    return out


def install(management: ManagementApp, plane: Plane) -> Subresources:
    subresources = Subresources(plane)
    management.extend_matching(subresources.match)
    return subresources


def workflow_path(path: ResourcePath) -> ResourcePath:
    """The workflow's own path from an action path on it (`.../workflows/wf/disable` → `.../workflows/wf`)."""
    return dataclasses.replace(path, action=None)
