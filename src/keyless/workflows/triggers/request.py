"""The Request trigger's callback listener (reference §2.1): the `logic` listener of `keyless up`.

Both URL shapes are served, with the same SAS query (`sp`, `sv`, `sig`, optional `se`):
  Consumption `/workflows/{endpoint id}/triggers/{t}/paths/invoke[/{relativePath}]` (and the older `/run`),
  Standard    `/api/{workflow name}/triggers/{t}/invoke[/{relativePath}]`.
The trigger's outputs are `{headers, queries (non-SAS only, absent if none), relativePathParameters, body}`;
non-JSON bodies become content envelopes. Without a Response action the caller gets 202 at once; with one it
waits for it (120 s, Consumption's inbound timeout).

A Response with `operationOptions: Asynchronous` ("Asynchronous response" in the designer): the caller gets 202 at
once with a `Location` and `Retry-After`; `GET <Location>` answers 202 (same headers) until the run's Response has
answered, then that answer (status, headers, body, as the synchronous caller would get it) on every poll; a run
that ends without answering gives the synchronous case's 502 NoResponse. The Location is a SAS URL on this
listener, `/workflows/{endpoint id}/runs/{run}/operations/{operation}?api-version&sp=/runs/{run}/operations/
{operation}/read&sv&sig` ([unconfirmed] shape, recalled, not sourced; the operation id is the run's tracking id),
signed like content links, so a regenerated key stops it. The answer is read from the run history (the
Response's record), so any keyless process sharing the store can serve the poll, after the run ended too.

`conditions` are evaluated against the call's trigger record: when one is false no run starts and the caller gets
202 with no run id ([unconfirmed] answer). `splitOn` must yield an array (else 400): one run per item, each with
trigger outputs `{"body": item}` only (the call's headers and queries are not kept, reference §2.5), conditions
evaluated per item; the caller gets 202 at once, even with a Response action (the runs are asynchronous), the
first run's x-ms-* headers and the body `{"runs": [run names]}` ([unconfirmed] shape).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from keyless.platform.errors import KeylessError
from keyless.wdl.errors import ExpressionError
from keyless.workflows import callback, ids
from keyless.workflows.actions.response import message_of
from keyless.workflows.host import ResponseMessage
from keyless.workflows.management.plane import RUNTIME_API_VERSION
from keyless.workflows.outbound.content import body_present, decode_body, encode_body
from keyless.workflows.records import FINISHED, SUCCEEDED
from keyless.workflows.run_host import RunContext
from keyless.workflows.runtime import WORKFLOW_TYPE, StartedRun, TriggerNotFound, WorkflowHead, WorkflowRuntime, _ci
from keyless.workflows.triggers import concurrency, correlation

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
SAS_PARAMETERS = frozenset({"api-version", "sp", "sv", "sig", "se"})
RESPONSE_TIMEOUT = 120.0  # Consumption's inbound request timeout (reference §7)
# The asynchronous response's polling interval, seconds. [unconfirmed] Azure sends a Retry-After (kloud.com.au
# 2018 blog) whose value no source gives; 1 keeps local polling (keyless's own Http action honours it) quick.
RETRY_AFTER = "1"


class TriggerRequestError(KeylessError):
    pass


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def match_relative_path(template: str | None, path: str) -> dict[str, str] | None:
    """The `{name}` values of `path` (raw, still percent-encoded) under `template`; None if it does not match.
    Literal segments compare case-insensitively; parameter values are URL-decoded."""
    want = [s for s in (template or "").strip("/").split("/") if s]
    got = [s for s in path.strip("/").split("/") if s]
    if len(want) != len(got):
        return None
    values: dict[str, str] = {}
    for pattern, segment in zip(want, got, strict=True):
        if pattern.startswith("{") and pattern.endswith("}"):
            values[pattern[1:-1]] = unquote(segment)
        elif pattern.lower() != unquote(segment).lower():
            return None
    return values


def _header_name(name: str) -> str:
    """ASGI servers lower-case header names; the trigger outputs show them as HTTP writes them."""
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


class RequestTriggerApp:
    def __init__(self, runtime: WorkflowRuntime) -> None:
        self.runtime = runtime

    def routes(self) -> list[Route]:
        prefix = "/workflows/{endpoint}/triggers/{trigger}"
        standard = "/api/{workflow}/triggers/{trigger}/invoke"
        return [
            Route(prefix + "/paths/invoke", self.consumption, methods=METHODS),
            Route(prefix + "/paths/invoke/{rest:path}", self.consumption, methods=METHODS),
            Route(prefix + "/run", self.consumption, methods=["POST"]),
            Route(standard, self.standard, methods=METHODS),
            Route(standard + "/{rest:path}", self.standard, methods=METHODS),
            Route("/workflows/{endpoint}/runs/{run}/operations/{operation}", self.operation, methods=["GET"]),
        ]

    async def consumption(self, request: Request) -> Response:
        workflow_id = await self.runtime.workflow_by_endpoint(request.path_params["endpoint"])
        # `.../paths/invoke[/rest]`; the older `.../run` has no relative path (its 5 segments leave nothing).
        return await self.invoke(request, workflow_id, request.path_params["endpoint"], 6)

    async def standard(self, request: Request) -> Response:
        name = request.path_params["workflow"]
        return await self.invoke(request, await self.runtime.workflow_by_name(name), name, 5)

    async def invoke(self, request: Request, workflow_id: str | None, shown: str, fixed: int) -> Response:
        """`fixed`: the URL shape's segments before the relative path (`workflows/{id}/triggers/{t}/paths/invoke`
        is 6, `api/{workflow}/triggers/{t}/invoke` is 5)."""
        if workflow_id is None:
            return _error(404, "WorkflowNotFound", f"The workflow '{shown}' could not be found.")
        trigger_name = request.path_params["trigger"]
        query = dict(parse_qsl(request.url.query, keep_blank_values=True))
        try:
            keys = await self.runtime.sas_keys(workflow_id)
            callback.verify(keys, query, f"/triggers/{trigger_name}/run")
        except callback.SasError as exc:
            return JSONResponse(exc.body(), status_code=exc.status)
        if "authorization" in request.headers:
            return _error(
                400,
                "DirectApiRequestHasMoreThanOneAuthorization",
                "The request has both SAS authentication scheme and 'Bearer' authorization scheme. Only one "
                "scheme should be used.",
            )  # [unconfirmed] status
        try:
            head = await self.runtime.head(workflow_id)
        except KeylessError as exc:
            return _error(exc.status, exc.code, exc.message)
        trigger = head.triggers.get(trigger_name.lower())
        if trigger is None or str(_ci(trigger, "type") or "").lower() != "request":
            return _error(
                404,
                "WorkflowTriggerNotFound",
                f"The workflow '{head.name}' does not have a request trigger named '{trigger_name}'.",
            )
        if not head.enabled:
            return _error(409, "WorkflowDisabled", f"The workflow '{head.name}' is disabled.")  # [unconfirmed]
        inputs = _ci(trigger, "inputs") or {}
        method = _ci(inputs, "method")
        if method and str(method).upper() != request.method.upper():
            return _error(
                400,
                "TriggerRequestMethodNotValid",
                f"The HTTP method for this request is not valid: expected '{str(method).capitalize()}' and actual "
                f"'{request.method}'.",
            )  # [unconfirmed] code and message
        # The relative path is what follows the fixed segments, still percent-encoded (`%2F` stays in a value).
        raw_path = request.scope.get("raw_path", b"").decode("latin-1").split("?", 1)[0]
        rest = "/".join(raw_path.lstrip("/").split("/")[fixed:])
        relative = _ci(inputs, "relativePath")
        parameters = match_relative_path(relative, rest)
        if parameters is None:
            return _error(
                404,
                "TriggerRelativePathNotFound",
                f"The request path '{unquote(rest) or '/'}' does not match the trigger's relative path "
                f"'{relative or ''}'.",
            )  # [unconfirmed] code and message
        body = await request.body()
        content_type = request.headers.get("content-type")
        outputs: dict[str, Any] = {"headers": {_header_name(k): v for k, v in request.headers.items()}}
        queries = {k: v for k, v in query.items() if k.lower() not in SAS_PARAMETERS}
        if queries:
            outputs["queries"] = queries
        if relative:
            outputs["relativePathParameters"] = parameters
        if body_present(body, content_type):
            outputs["body"] = decode_body(body, content_type)
        refused = self._schema_check(head, head.trigger_names[trigger_name.lower()], outputs.get("body"))
        if refused is not None:
            return refused
        try:
            fired = await fire(
                self.runtime,
                head,
                trigger_name,
                outputs,
                wait_response=head.compiled.has_response,
                client_tracking_id=request.headers.get("x-ms-client-tracking-id"),
            )
        except KeylessError as exc:
            return _error(exc.status, exc.code, exc.message)
        if fired.split or not fired.runs:
            return self._accepted(head, fired, trigger)
        if head.compiled.asynchronous:
            # The run keeps its waiter (its Response answers it, and is Succeeded); nobody awaits it here.
            started = fired.runs[0]
            headers = {} if _suppressed(trigger) else workflow_headers(head, started)
            return await self._poll_again(head, started.run_name, started.tracking_id, headers)
        return await self._answer(head, fired.runs[0], trigger)

    async def _poll_again(self, head: WorkflowHead, run_name: str, operation: str, headers: dict[str, str]) -> Response:
        location = await operation_location(self.runtime, head, run_name, operation)
        return Response(status_code=202, headers={**headers, "Location": location, "Retry-After": RETRY_AFTER})

    async def operation(self, request: Request) -> Response:
        """`GET <Location>` of an asynchronous response: 202 until the run's Response answered, then its answer."""
        p = request.path_params
        endpoint, run_name, operation = p["endpoint"], p["run"], p["operation"]
        workflow_id = await self.runtime.workflow_by_endpoint(endpoint)
        if workflow_id is None:
            return _error(404, "WorkflowNotFound", f"The workflow '{endpoint}' could not be found.")
        query = dict(parse_qsl(request.url.query, keep_blank_values=True))
        try:
            keys = await self.runtime.sas_keys(workflow_id)
            callback.verify(keys, query, f"/runs/{run_name}/operations/{operation}/read")
            head = await self.runtime.head(workflow_id)
            run = await self.runtime.history.run(workflow_id, run_name)
            compiled = await self.runtime.compiled(workflow_id, run.version) if run is not None else None
        except callback.SasError as exc:
            return JSONResponse(exc.body(), status_code=exc.status)
        except KeylessError as exc:
            return _error(exc.status, exc.code, exc.message)
        if run is None or compiled is None or run.trigger.tracking_id.lower() != operation.lower():
            # [unconfirmed] code and message
            return _error(404, "WorkflowRunNotFound", f"The workflow run '{run_name}' could not be found.")
        trigger = _ci(_ci(compiled.definition, "triggers"), run.trigger_name) or {}
        started = StartedRun(
            workflow_id=workflow_id,
            run_name=run.name,
            trigger_name=run.trigger_name,
            version=run.version,
            client_tracking_id=run.client_tracking_id,
            tracking_id=run.trigger.tracking_id,
        )
        headers = {} if _suppressed(trigger) else workflow_headers(head, started)
        for name in compiled.responses:  # at most one Succeeded: a later one Fails (ActionResponseAlreadySent)
            for record in await self.runtime.history.records(workflow_id, run.name, name):
                message = message_of(record.outputs) if record.status == SUCCEEDED and record.has_outputs else None
                if message is not None:
                    return response_of(message, headers)
        if run.status in FINISHED:  # ended without answering: what the synchronous caller gets
            return _no_response(started, headers)
        return await self._poll_again(head, run.name, operation, headers)

    def _accepted(self, head: WorkflowHead, fired: Fired, trigger: dict[str, Any]) -> Response:
        """202 at once: the runs a splitOn started (their names in the body), or no run (a condition was false)."""
        suppress = _suppressed(trigger)
        headers = {} if suppress else (workflow_headers(head, fired.runs[0]) if fired.runs else _no_run_headers(head))
        if not fired.split:
            return Response(status_code=202, headers=headers)
        return JSONResponse({"runs": [run.run_name for run in fired.runs]}, status_code=202, headers=headers)

    def _schema_check(self, head: WorkflowHead, name: str, body: Any) -> Response | None:
        compiled = head.compiled.workflow.triggers.get(name)
        validator = compiled.body_validator if compiled is not None else None
        if validator is None:  # without EnableSchemaValidation the schema only documents the body
            return None
        error = next(iter(validator.iter_errors(body)), None)
        if error is None:
            return None
        return _error(
            400,
            "TriggerInputSchemaMismatch",
            f"The input body for trigger '{name}' of type 'Request' did not match "
            f"its schema definition. Error details: '{error.message}'.",
        )  # [unconfirmed] message wording

    async def _answer(self, head: WorkflowHead, started: StartedRun, trigger: dict[str, Any]) -> Response:
        suppress = _suppressed(trigger)
        headers = {} if suppress else workflow_headers(head, started)
        if started.response is None:
            return Response(status_code=202, headers=headers)
        try:
            message = await asyncio.wait_for(asyncio.shield(started.response), RESPONSE_TIMEOUT)
        except TimeoutError:
            self.runtime.forget_waiter(started.run_name)
            return _error(
                504,
                "GatewayTimeout",
                "The server did not receive a timely response from the upstream server. Request tracking id "
                f"'{started.tracking_id}'.",
                headers,
            )  # Azure answers 504 Gateway Timeout (Azure/logicapps#1340); the body's code and wording are unconfirmed
        finally:
            if started.response.done():
                self.runtime.forget_waiter(started.run_name)
        if message is None:
            return _no_response(started, headers)
        return response_of(message, headers)


def _suppressed(trigger: Any) -> bool:
    return "suppressworkflowheadersonresponse" in str(_ci(trigger, "operationOptions") or "").lower()


def _no_response(started: StartedRun, headers: dict[str, str]) -> Response:
    """The run ended without a Response answering its caller."""
    return _error(
        502,
        "NoResponse",
        f"The server did not receive a response from an upstream server. Request tracking id '{started.tracking_id}'.",
        headers,
    )


async def operation_location(runtime: WorkflowRuntime, head: WorkflowHead, run_name: str, operation: str) -> str:
    """The SAS-signed URL an asynchronous response's caller polls (signed with the primary key, no expiry)."""
    path = f"/runs/{run_name}/operations/{operation}"
    sp = f"{path}/read"
    primary, _ = await runtime.sas_keys(head.workflow_id)
    query = urlencode(
        {"api-version": RUNTIME_API_VERSION, "sp": sp, "sv": callback.SAS_VERSION, "sig": callback.sign(primary, sp)},
        quote_via=quote,
    )
    return f"{runtime.callback_base_url()}/workflows/{head.endpoint_id}{path}?{query}"


@dataclass
class Fired:
    """What a call to a Request trigger started: one run, the runs of a splitOn, or none (a condition false)."""

    runs: list[StartedRun]
    split: bool = False


async def fire(
    runtime: WorkflowRuntime,
    head: WorkflowHead,
    trigger_name: str,
    outputs: dict[str, Any],
    *,
    wait_response: bool,
    client_tracking_id: str | None = None,
    parent: RunContext | None = None,
) -> Fired:
    """A call to the Request trigger (callback URL or a parent's Workflow action): its `conditions` and `splitOn`
    applied, then the runs started. Raises TriggerExpressionError (400) when a condition or the splitOn cannot be
    evaluated, when splitOn is not an array or has too many items; TooManyWaitingRuns (429) when a split would
    overflow the trigger's waiting runs (no run is started then)."""
    if trigger_name.lower() not in head.triggers:
        raise TriggerNotFound(f"The workflow '{head.name}' does not have a trigger named '{trigger_name}'.")
    name = head.trigger_names[trigger_name.lower()]
    compiled = getattr(head.compiled.workflow, "triggers", {}).get(name)
    inputs = _ci(head.triggers[trigger_name.lower()], "inputs")
    workflow = {"id": head.workflow_id, "name": head.name, "type": WORKFLOW_TYPE}

    def context(trigger_outputs: Any) -> correlation.TriggerEvalContext:
        view = correlation.trigger_view(name, inputs, trigger_outputs)
        return correlation.TriggerEvalContext(view, head.compiled.workflow.parameters, workflow)

    conditions = getattr(compiled, "conditions", None) or []
    split_on = getattr(compiled, "split_on", None)
    if split_on is None:
        if conditions and not correlation.conditions_met(name, conditions, context(outputs)):
            return Fired([])
        started = await runtime.start(
            head.workflow_id,
            name,
            outputs,
            wait_response=wait_response,
            client_tracking_id=client_tracking_id,
            parent=parent,
        )
        return Fired([started])
    limits = concurrency.limits_of(compiled)
    items = correlation.split_items(name, split_on, context(outputs), limited=limits is not None)
    batch: list[tuple[dict[str, Any], str | None]] = []
    for item in items:  # every item is checked before any run starts: a bad item starts none
        item_outputs = {"body": item}
        item_context = context(item_outputs)
        if conditions and not correlation.conditions_met(name, conditions, item_context):
            continue
        tracking = _split_tracking_id(name, compiled.split_on_tracking_id, item_context)
        batch.append((item_outputs, tracking or client_tracking_id))
    if limits is not None:
        running, waiting = runtime.concurrency(head.workflow_id, name)
        free = limits.runs + limits.waiting - running - waiting
        if len(batch) > free:
            raise concurrency.TooManyWaitingRuns(
                f"The trigger's waiting runs limit of {limits.waiting} cannot take the {len(batch)} runs of its "
                "splitOn; try again later."
            )
    runs = [
        await runtime.start(head.workflow_id, name, item_outputs, client_tracking_id=tracking, parent=parent)
        for item_outputs, tracking in batch
    ]
    return Fired(runs, split=True)


def _split_tracking_id(name: str, expression: Any, ctx: correlation.TriggerEvalContext) -> str | None:
    if expression is None:
        return None
    try:
        return correlation.client_tracking_id(expression, ctx)
    except ExpressionError as exc:
        raise correlation.TriggerExpressionError(
            f"The template language expression of the trigger '{name}' splitOnConfiguration correlation "
            f"clientTrackingId cannot be evaluated: {exc}"
        ) from exc


def _no_run_headers(head: WorkflowHead) -> dict[str, str]:
    """The x-ms-* headers of a call that started no run: the workflow's, a tracking id, no run id."""
    tracking_id = ids.tracking_id()
    endpoint = head.endpoint_id
    return {
        "x-ms-correlation-id": tracking_id,
        "x-ms-workflow-system-id": f"/scaleunits/prod-00/workflows/{endpoint}",
        "x-ms-workflow-id": endpoint,
        "x-ms-workflow-version": head.version,
        "x-ms-workflow-name": head.name,
        "x-ms-tracking-id": tracking_id,
        "x-ms-request-id": f":{tracking_id}",
    }


def workflow_headers(head: WorkflowHead, started: StartedRun) -> dict[str, str]:
    """The x-ms-* headers every invoke answer carries (reference §2.1)."""
    endpoint = head.endpoint_id
    return {
        "x-ms-workflow-run-id": started.run_name,
        "x-ms-correlation-id": started.tracking_id,
        "x-ms-client-tracking-id": started.client_tracking_id,
        "x-ms-trigger-history-name": started.run_name,
        "x-ms-workflow-system-id": f"/scaleunits/prod-00/workflows/{endpoint}",
        "x-ms-workflow-id": endpoint,
        "x-ms-workflow-version": started.version,
        "x-ms-workflow-name": head.name,
        "x-ms-tracking-id": started.tracking_id,
        "x-ms-request-id": f":{started.tracking_id}",
    }


def response_of(message: ResponseMessage, extra: dict[str, str]) -> Response:
    """The Response action's message as HTTP: its body encoded as the Http action encodes one (JSON, text or the
    envelope's bytes); its own headers win over the workflow's."""
    body, content_type = encode_body(message.body, message.headers)
    headers = dict(extra)
    for name, value in message.headers.items():
        if name.lower() in ("content-length", "transfer-encoding"):
            continue
        headers[name] = value if isinstance(value, str) else json.dumps(value)
    if content_type and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = content_type
    return Response(content=body or b"", status_code=message.status, headers=headers)
