"""Run contents: the `inputsLink`/`outputsLink` of run, action and repetition records, and the endpoint that
serves what they point at.

A link is a SAS URL on the runtime's host, as Azure's are (`.../workflows/<endpoint id>/runs/<run>/actions/<a>/
contents/ActionOutputs?api-version=...&se=...&sp=%2Fruns%2F<run>%2Factions%2F<a>%2Fcontents%2FActionOutputs%2Fread
&sv=1.0&sig=...`): the signature is the credential, so the endpoint takes no bearer token. `routes(plane)` is
mounted on the runtime's listener (Azure serves contents there, not on management.azure.com).
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from keyless.workflows import callback, ids
from keyless.workflows.management.plane import RUNTIME_API_VERSION, Plane
from keyless.workflows.records import ActionRecord

# How long a content link stays valid. [unconfirmed] Azure's links carry an `se` hours ahead.
LINK_LIFETIME = timedelta(hours=24)
ACTION_KINDS = {"ActionInputs": "inputs", "ActionOutputs": "outputs"}
TRIGGER_KINDS = {"TriggerInputs": "inputs", "TriggerOutputs": "outputs"}


def serialize(content: Any) -> bytes:
    """The bytes a link serves; its size and MD5 are computed over exactly these."""
    return json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def repetition_name(record: ActionRecord) -> str | None:
    """`000001` or `000000-000003` (outermost loop first): the part of the record key after `#`."""
    return record.key.split("#", 1)[1] if "#" in record.key else None


def content_path(run_name: str, record: ActionRecord | None, kind: str) -> str:
    """The path after `/workflows/<endpoint id>`; with `/read` appended it is the SAS permission."""
    if record is None:
        return f"/runs/{run_name}/contents/{kind}"
    path = f"/runs/{run_name}/actions/{quote(record.name, safe='')}"
    rep = repetition_name(record)
    if rep is not None:
        path += f"/repetitions/{rep}"
    return f"{path}/contents/{kind}"


async def link(
    plane: Plane, workflow_id: str, run_name: str, record: ActionRecord, *, trigger: bool, outputs: bool
) -> dict[str, Any] | None:
    """The ContentLink for a record's inputs or outputs, or None when it has none (skipped, control actions)."""
    if not (record.has_outputs if outputs else record.has_inputs):
        return None
    kind = ("Trigger" if trigger else "Action") + ("Outputs" if outputs else "Inputs")
    path = content_path(run_name, None if trigger else record, kind)
    body = serialize(record.outputs if outputs else record.inputs)
    digest = base64.b64encode(hashlib.md5(body).digest()).decode("ascii")  # noqa: S324 - Azure's contentHash
    se = ids.timestamp(datetime.now(UTC) + LINK_LIFETIME)
    sp = f"{path}/read"
    key = await plane.keys.key(workflow_id)
    query = urlencode(
        {
            "api-version": RUNTIME_API_VERSION,
            "se": se,
            "sp": sp,
            "sv": callback.SAS_VERSION,
            "sig": callback.sign(key, sp, callback.SAS_VERSION, se),
        },
        quote_via=quote,
    )
    return {
        "uri": f"{await plane.access_endpoint(workflow_id)}{path}?{query}",
        "contentVersion": digest,
        "contentSize": len(body),
        "contentHash": {"algorithm": "md5", "value": digest},
    }


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


class ContentsEndpoint:
    """`GET /workflows/{endpoint}/runs/{run}/[actions/{a}/[repetitions/{rep}/]]contents/{kind}`."""

    def __init__(self, plane: Plane) -> None:
        self.plane = plane

    async def handle(self, request: Request) -> Response:
        p = request.path_params
        endpoint, run_name, kind = p["endpoint"], p["run"], p["kind"]
        action, rep = p.get("action"), p.get("rep")
        workflow_id = await self.plane.keys.workflow_for(endpoint)
        if workflow_id is None:
            return _error(404, "WorkflowNotFound", f"The workflow '{endpoint}' could not be found.")
        path = request.url.path.split(f"/workflows/{endpoint}", 1)[1]
        try:
            callback.verify(await self.plane.keys.keys(workflow_id), dict(request.query_params), f"{path}/read")
        except callback.SasError as exc:
            return JSONResponse(exc.body(), status_code=exc.status)
        record: ActionRecord | None
        if action is None:
            field = TRIGGER_KINDS.get(kind)
            record = await self.plane.history.trigger_record(workflow_id, run_name) if field else None
        else:
            field = ACTION_KINDS.get(kind)
            key = action if rep is None else f"{action}#{rep}"
            record = await self.plane.history.record(workflow_id, run_name, key) if field else None
        if record is None or field is None or not getattr(record, f"has_{field}"):
            # [unconfirmed] code and message
            return _error(404, "ContentNotFound", f"The content '{kind}' of run '{run_name}' could not be found.")
        return Response(serialize(getattr(record, field)), media_type="application/json; charset=utf-8")


def routes(plane: Plane) -> list[Route]:
    endpoint = ContentsEndpoint(plane).handle
    prefix = "/workflows/{endpoint}/runs/{run}"
    return [
        Route(f"{prefix}/contents/{{kind}}", endpoint, methods=["GET"]),
        Route(f"{prefix}/actions/{{action}}/contents/{{kind}}", endpoint, methods=["GET"]),
        Route(f"{prefix}/actions/{{action}}/repetitions/{{rep}}/contents/{{kind}}", endpoint, methods=["GET"]),
    ]
