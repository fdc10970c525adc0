"""Response `{statusCode, headers?, body?}`: answers the caller waiting on the Request trigger (reference §3.2).

statusCode is an integer or a numeric string (an expression too) and must be 2xx, 4xx or 5xx. Not allowed inside
Foreach or Until. Outputs are the evaluated inputs, code OK. When nobody waits (a resubmitted or recovered run) the
action is Skipped with code and error `ActionResponseSkipped` and no outputs (real run). When the caller did wait
but was answered already (its 120 s ran out and it got 504, or an earlier Response answered it) the action Fails,
code `ActionResponseTimedOut` / `ActionResponseAlreadySent` ([unconfirmed] codes and wording), and so does the run.
Recorded `statusCode` is text: two real runs' inputs sizes fit `"statusCode":"200"` for a definition's 200.
`operationOptions: Asynchronous` changes the caller's side only (triggers/request.py): the call is answered
202 + Location at once and the caller polls the Location for this action's answer; the action itself runs, is
recorded and answers (`RunHost.respond`) exactly as without the option.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.wdl.text import to_text
from keyless.workflows.actions._results import BAD_REQUEST, OK, failed, inputs_of, required, succeeded
from keyless.workflows.actions._variables import value_type
from keyless.workflows.actions.base import ActionSpec, Compiled, Outcome
from keyless.workflows.host import ResponseMessage, ResponseState
from keyless.workflows.records import SKIPPED

TYPE = "Response"
RESPONSE_SKIPPED = "ActionResponseSkipped"
RESPONSE_TIMED_OUT = "ActionResponseTimedOut"  # [unconfirmed]
RESPONSE_ALREADY_SENT = "ActionResponseAlreadySent"  # [unconfirmed]
_LOOPS = ("foreach", "until")


@dataclass(frozen=True)
class Config:
    status: Compiled
    headers: Compiled | None
    body: Compiled | None


def status_problem(value: Any) -> str | None:
    """Why `value` is not a status code a Response may send, or None."""
    code = _as_int(value)
    if code is None:
        return f"The status code must be an integer; the value '{to_text(value)}' is of type '{value_type(value)}'."
    if not (200 <= code < 300 or 400 <= code < 600):
        return f"The status code '{code}' is not valid: a Response can only send a 2xx, 4xx or 5xx status code."
    return None


def _as_int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value.strip())
    return None


def compile(spec: dict[str, Any], ctx: Any) -> Config:
    loops = [kind for kind in ctx.inside if kind.lower() in _LOOPS]
    if loops:
        raise ctx.error(
            "type",
            f"The action '{ctx.action_name}' of type '{TYPE}' is inside a '{loops[-1]}' action: a Response cannot "
            "run inside Foreach or Until loops.",
        )
    inputs = inputs_of(spec, ctx)
    status = ctx.value(required(inputs, "statusCode", ctx, TYPE), "inputs.statusCode")
    if status.is_constant:
        problem = status_problem(status.evaluate(None))
        if problem is not None:
            raise ctx.error("inputs.statusCode", problem)
    headers = inputs.get("headers")
    if headers is not None and not isinstance(headers, (dict, str)):
        raise ctx.error("inputs.headers", f"The 'headers' of action '{ctx.action_name}' must be an object.")
    return Config(
        status,
        ctx.value(headers, "inputs.headers") if headers is not None else None,
        ctx.value(inputs["body"], "inputs.body") if "body" in inputs else None,
    )


async def run(config: Config, ctx: Any) -> Outcome:
    status = ctx.evaluate(config.status)
    inputs: dict[str, Any] = {"statusCode": to_text(status)}
    headers = ctx.evaluate(config.headers) if config.headers is not None else None
    if headers is not None:
        inputs["headers"] = headers
    body = ctx.evaluate(config.body) if config.body is not None else None
    if config.body is not None:
        inputs["body"] = body
    problem = status_problem(status)
    if problem is not None:
        return failed(BAD_REQUEST, problem, inputs=inputs)
    if headers is not None and not isinstance(headers, dict):
        return failed(
            BAD_REQUEST,
            f"The response headers must be an object; they are of type '{value_type(headers)}'.",
            inputs=inputs,
        )
    sent = {name: to_text(value) for name, value in (headers or {}).items()}
    state = ResponseState.of(await ctx.host.respond(ResponseMessage(_as_int(status) or 0, sent, body)))
    if state is ResponseState.NOBODY_WAITING:
        return Outcome(
            SKIPPED,
            RESPONSE_SKIPPED,
            inputs=inputs,
            has_outputs=False,
            error={
                "code": RESPONSE_SKIPPED,
                "message": f"The execution of template action '{ctx.action_name}' is skipped: the client application "
                "is not waiting for a response from service.",
            },
        )
    if state is ResponseState.TOO_LATE:
        return failed(
            RESPONSE_TIMED_OUT,
            f"The execution of template action '{ctx.action_name}' failed: the client application has already "
            "received a response (it timed out after 120 seconds waiting for the Response action and was answered "
            "504 Gateway Timeout).",
            inputs=inputs,
        )
    if state is ResponseState.ALREADY_ANSWERED:
        return failed(
            RESPONSE_ALREADY_SENT,
            f"The execution of template action '{ctx.action_name}' failed: the client application has already "
            "received a response from an earlier Response action of this run.",
            inputs=inputs,
        )
    return succeeded(OK, inputs, dict(inputs))


def message_of(outputs: Any) -> ResponseMessage | None:
    """The answer a Succeeded Response sent, rebuilt from its recorded outputs (what `run` handed the host): how
    the poll of an asynchronous response answers, from the run history. None if the outputs are not a Response's."""
    if not isinstance(outputs, dict):
        return None
    status = _as_int(outputs.get("statusCode"))
    if status is None:
        return None
    headers = outputs.get("headers")
    sent = {name: to_text(value) for name, value in headers.items()} if isinstance(headers, dict) else {}
    return ResponseMessage(status, sent, outputs.get("body"))


SPEC = ActionSpec(TYPE, compile, run, durable=True)
