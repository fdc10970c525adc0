"""Workflow (child workflow) `{host: {workflow: {id}, triggerName?}, body?, headers?}` (reference §3.5).

Consumption names the child by resource id and its trigger; Standard's built-in "Invoke a workflow in this
workflow app" names the child workflow only (corpus), and the host then picks the child's Request trigger.

The child runs through its Request trigger and the parent waits for its Response. Outputs are the child's answer
`{statusCode, headers, body}`; a 2xx answer succeeds and a non-2xx one fails, code the .NET status name
(`OK`, `Accepted`, `NotFound`, as the Http action). A child without a Response action fails with code and error
`NestedWorkflowDoesNotContainResponseAction` (ILL's code vocabulary, seen on a real host). A child that cannot
be run (no such workflow, no such trigger) fails with the host's error code and message, the record code named
after its HTTP status. An answer of 408, 429 or 5xx is retried under `retryPolicy` (default: exponential, 4
retries, as the Http action), each retry a new child run, recorded in `retryHistory`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from keyless.platform.errors import KeylessError
from keyless.wdl.text import to_text
from keyless.workflows.actions._results import BAD_REQUEST, failed, inputs_of, required
from keyless.workflows.actions._variables import value_type
from keyless.workflows.actions.base import ActionSpec, Compiled, Outcome
from keyless.workflows.outbound.exchange import timestamp
from keyless.workflows.outbound.headers import status_name
from keyless.workflows.outbound.retry import RetryPolicy, RetryPolicyError, is_retryable, parse_policy
from keyless.workflows.records import FAILED, SUCCEEDED

TYPE = "Workflow"
NO_RESPONSE_ACTION = "NestedWorkflowDoesNotContainResponseAction"


@dataclass(frozen=True)
class Config:
    inputs: Compiled  # the whole inputs object, evaluated once per run and recorded as it is


def compile(spec: dict[str, Any], ctx: Any) -> Config:
    inputs = inputs_of(spec, ctx)
    host = required(inputs, "host", ctx, TYPE)
    if not isinstance(host, dict):
        raise ctx.error(
            "inputs.host", "The 'host' of a Workflow action must be an object {workflow: {id}, triggerName}."
        )
    workflow = host.get("workflow")
    if not isinstance(workflow, dict) or "id" not in workflow:
        raise ctx.error(
            "inputs.host.workflow.id", f"The action '{ctx.action_name}' of type '{TYPE}' requires 'host.workflow.id'."
        )
    headers = inputs.get("headers")
    if headers is not None and not isinstance(headers, (dict, str)):
        raise ctx.error("inputs.headers", f"The 'headers' of action '{ctx.action_name}' must be an object.")
    compiled = ctx.value(inputs, "inputs")
    if "retryPolicy" in inputs and ctx.value(inputs["retryPolicy"], "inputs.retryPolicy").is_constant:
        try:
            parse_policy(inputs["retryPolicy"])
        except RetryPolicyError as error:
            raise ctx.error(f"inputs.retryPolicy{'.' + error.field if error.field else ''}", str(error)) from None
    return Config(compiled)


async def run(config: Config, ctx: Any) -> Outcome:
    inputs = ctx.evaluate(config.inputs)
    host = inputs["host"]
    # Standard's built-in form names the child workflow and no trigger: "" asks the host for the child's Request
    # trigger.
    workflow_id, trigger = host["workflow"]["id"], host.get("triggerName", "")
    headers = inputs.get("headers") or {}
    for name, value, empty_ok in (("host.workflow.id", workflow_id, False), ("host.triggerName", trigger, True)):
        if not isinstance(value, str) or not (value or empty_ok):
            return failed(
                BAD_REQUEST,
                f"The '{name}' of a Workflow action must be a non-empty string; it is of type '{value_type(value)}'.",
                inputs=inputs,
            )
    if not isinstance(headers, dict):
        return failed(
            BAD_REQUEST,
            f"The 'headers' of a Workflow action must be an object; they are of type '{value_type(headers)}'.",
            inputs=inputs,
        )
    try:
        policy = parse_policy(inputs.get("retryPolicy"))
    except RetryPolicyError as error:
        return failed(BAD_REQUEST, str(error), inputs=inputs)
    sent = {name: to_text(value) for name, value in headers.items()}
    history: list[dict[str, Any]] = []
    try:
        answer = await _invoke(ctx, policy, history, workflow_id, trigger, inputs.get("body"), sent)
    except KeylessError as error:
        outcome = failed(status_name(error.status), error.message, inputs=inputs, error_code=error.code)
        outcome.retry_history = history or None
        return outcome
    if answer is None:
        return failed(
            NO_RESPONSE_ACTION,
            f"The nested workflow '{workflow_id}' does not contain a Response action; the Workflow action needs the "
            "child workflow to answer with a Response action.",
            inputs=inputs,
        )
    outputs: dict[str, Any] = {"statusCode": answer.status, "headers": dict(answer.headers)}
    if answer.body is not None:
        outputs["body"] = answer.body
    status = SUCCEEDED if 200 <= answer.status < 300 else FAILED
    return Outcome(status, status_name(answer.status), inputs=inputs, outputs=outputs, retry_history=history or None)


async def _invoke(
    ctx: Any,
    policy: RetryPolicy,
    history: list[dict[str, Any]],
    workflow_id: str,
    trigger: str,
    body: Any,
    headers: dict[str, str],
) -> Any:
    """The child's answer after the retries the policy allows for 408/429/5xx answers."""
    retries = 0 if policy.type == "none" else policy.count
    attempt = 0
    while True:
        started = timestamp()
        answer = await ctx.host.invoke_workflow(workflow_id, trigger, body, headers)
        if answer is None or not is_retryable(answer.status) or attempt >= retries:
            return answer
        attempt += 1
        history.append(
            {
                "startTime": started,
                "endTime": timestamp(),
                "clientRequestId": str(uuid.uuid4()),
                "code": status_name(answer.status),
            }
        )
        await ctx.host.sleep(policy.delay(attempt))


SPEC = ActionSpec(TYPE, compile, run, durable=True)
