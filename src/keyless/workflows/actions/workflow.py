"""Workflow (child workflow) `{host: {workflow: {id}, triggerName}, body?, headers?}` (reference §3.5).

The child runs through its Request trigger and the parent waits for its Response. Outputs are the child's answer
`{statusCode, headers, body}`; a 2xx answer succeeds and a non-2xx one fails, code the .NET status name
(`OK`, `Accepted`, `NotFound`, as the Http action). A child without a Response action fails with code and error
`NestedWorkflowDoesNotContainResponseAction` (ILL's code vocabulary, seen on a real host). A child that cannot
be run (no such workflow, no such trigger) fails with the host's error code and message, the record code named
after its HTTP status. `retryPolicy` is recorded but not applied (the child is run once).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.platform.errors import KeylessError
from keyless.wdl.text import to_text
from keyless.workflows.actions._results import BAD_REQUEST, failed, inputs_of, required
from keyless.workflows.actions._variables import value_type
from keyless.workflows.actions.base import ActionSpec, Compiled, Outcome
from keyless.workflows.outbound.headers import status_name
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
    if "triggerName" not in host:
        raise ctx.error(
            "inputs.host.triggerName", f"The action '{ctx.action_name}' of type '{TYPE}' requires 'host.triggerName'."
        )
    headers = inputs.get("headers")
    if headers is not None and not isinstance(headers, (dict, str)):
        raise ctx.error("inputs.headers", f"The 'headers' of action '{ctx.action_name}' must be an object.")
    return Config(ctx.value(inputs, "inputs"))


async def run(config: Config, ctx: Any) -> Outcome:
    inputs = ctx.evaluate(config.inputs)
    host = inputs["host"]
    workflow_id, trigger = host["workflow"]["id"], host["triggerName"]
    headers = inputs.get("headers") or {}
    for name, value in (("host.workflow.id", workflow_id), ("host.triggerName", trigger)):
        if not isinstance(value, str) or not value:
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
    sent = {name: to_text(value) for name, value in headers.items()}
    try:
        answer = await ctx.host.invoke_workflow(workflow_id, trigger, inputs.get("body"), sent)
    except KeylessError as error:
        return failed(status_name(error.status), error.message, inputs=inputs, error_code=error.code)
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
    return Outcome(status, status_name(answer.status), inputs=inputs, outputs=outputs)


SPEC = ActionSpec(TYPE, compile, run, durable=True)
