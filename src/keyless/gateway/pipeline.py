"""inbound -> backend -> outbound; errors set `context.LastError` and run the effective on-error (apim.md §1).

A policy that fails with a response of its own (validate-jwt's 401) has replaced `state.response` before
raising; otherwise the caller gets APIM's 500 with `activityId` unless on-error answers differently.
"""

from __future__ import annotations

import json
import logging

from keyless.gateway.compiler import Plan
from keyless.gateway.http_types import GatewayResponse, Headers
from keyless.gateway.policy import STOP, PolicyError
from keyless.gateway.state import LastError, RequestState

log = logging.getLogger("keyless.gateway")


def error_body(status: int, message: str, activity_id: str | None = None) -> bytes:
    """A gateway-generated error body in APIM's spacing: `{ "statusCode": N, "message": "…" }`."""
    extra = f', "activityId": "{activity_id}"' if activity_id else ""
    return f'{{ "statusCode": {status}, "message": {json.dumps(message, ensure_ascii=False)}{extra} }}'.encode()


def gateway_error(status: int, message: str, reason: str = "", activity_id: str | None = None) -> GatewayResponse:
    """A JSON error response as APIM's gateway writes it."""
    return GatewayResponse(
        status, Headers([("Content-Type", "application/json")]), error_body(status, message, activity_id), reason
    )


def internal_error(state: RequestState) -> GatewayResponse:
    return gateway_error(500, "Internal server error", "Internal Server Error", str(state.request_id))


async def execute(plan: Plan, state: RequestState) -> GatewayResponse:
    """Run the plan's sections for this request; the response to send."""
    before = state.response
    try:
        state.section = "inbound"
        if await plan.inbound.run(state) is not STOP:
            state.section = "backend"
            before = state.response
            if await plan.backend.run(state) is not STOP:
                state.section = "outbound"
                before = state.ensure_response()
                await plan.outbound.run(state)
    except PolicyError as exc:
        await handle_error(plan, state, exc, own_response=state.response is not before)
    except Exception:
        log.exception("gateway: unhandled failure in %s (request %s)", state.section, state.request_id)
        state.response = internal_error(state)
    return state.ensure_response()


def record(state: RequestState, exc: PolicyError) -> None:
    """Set `context.LastError` from a failure and the step that raised it."""
    step = getattr(exc, "step", None)
    state.last_error = LastError(
        exc.source,
        exc.reason,
        exc.message,
        scope=step.scope if step is not None else None,
        section=step.section if step is not None and step.section else state.section,
        path=step.path if step is not None else None,
        policy_id=exc.policy_id or (step.policy_id if step is not None else None),
    )
    state.explanation = exc.explanation


async def handle_error(plan: Plan, state: RequestState, exc: PolicyError, *, own_response: bool) -> None:
    """LastError, the default response, then the effective on-error section (never re-entered)."""
    record(state, exc)
    state.trace(exc.source, {"message": exc.message})
    if not own_response:
        state.response = internal_error(state)
    await run_on_error(plan, state)


async def run_on_error(plan: Plan, state: RequestState) -> None:
    state.section = "on-error"
    try:
        await plan.on_error.run(state)
    except PolicyError as inner:
        state.trace(inner.source, {"message": inner.message})
        state.response = internal_error(state)
    except Exception:
        log.exception("gateway: unhandled failure in on-error (request %s)", state.request_id)
        state.response = internal_error(state)


async def builtin_error(
    plan: Plan,
    state: RequestState,
    source: str,
    reason: str,
    message: str,
    response: GatewayResponse,
    explanation: str = "",
) -> GatewayResponse:
    """A built-in step's refusal (configuration, authorization): its response, LastError, then on-error."""
    state.response = response
    state.last_error = LastError(source, reason, message, section="inbound")
    state.explanation = explanation
    state.section = "inbound"
    state.trace(source, {"message": message})
    await run_on_error(plan, state)
    return state.ensure_response()


async def finish(state: RequestState, response: GatewayResponse) -> GatewayResponse:
    """The response is final: run the hooks policies registered (`state.on_response`), in order."""
    for hook in state.response_hooks:
        await hook(response)
    return response
