"""Response, Wait and Workflow: what reaches the host, records, codes and refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keyless.platform.errors import KeylessError
from keyless.workflows.actions import response, wait, workflow
from keyless.workflows.errors import DefinitionError
from keyless.workflows.host import ResponseMessage, ResponseState

from ._fakes import FakeHost, FakeRunContext, compile_action, run_action


def respond(inputs: dict, host: FakeHost, expressions: dict | None = None, **kw):
    spec = response.SPEC
    config = compile_action(
        spec, {"type": "Response", "kind": "Http", "inputs": inputs}, expressions, action_name="Response", **kw
    )
    return run_action(spec, config, FakeRunContext("Response", host))


# Response


def test_response_reaches_the_caller() -> None:
    host = FakeHost()
    outcome = respond({"statusCode": 200, "headers": {"dsasadas": "dasds", "n": 5}, "body": {"a": "b"}}, host)
    assert host.responses == [ResponseMessage(200, {"dsasadas": "dasds", "n": "5"}, {"a": "b"})]
    assert (outcome.status, outcome.code, outcome.error) == ("Succeeded", "OK", None)
    assert outcome.inputs == {"statusCode": "200", "headers": {"dsasadas": "dasds", "n": 5}, "body": {"a": "b"}}
    assert outcome.outputs == outcome.inputs


def test_response_status_from_a_numeric_string_expression() -> None:
    host = FakeHost()
    outcome = respond(
        {"statusCode": "@variables('code')", "body": "nope"}, host, {"@variables('code')": lambda c: "404"}
    )
    assert host.responses == [ResponseMessage(404, {}, "nope")]
    assert outcome.inputs == {"statusCode": "404", "body": "nope"}


def test_response_without_body() -> None:
    host = FakeHost()
    outcome = respond({"statusCode": 204}, host)
    assert host.responses == [ResponseMessage(204, {}, None)]
    assert outcome.inputs == {"statusCode": "204"}


def test_response_nobody_waiting_is_skipped() -> None:
    host = FakeHost(waiting=False)
    outcome = respond({"statusCode": 200, "body": 4}, host)
    assert (outcome.status, outcome.code) == ("Skipped", "ActionResponseSkipped")
    assert outcome.error == {
        "code": "ActionResponseSkipped",
        "message": "The execution of template action 'Response' is skipped: the client application is not waiting "
        "for a response from service.",
    }
    assert outcome.has_inputs and not outcome.has_outputs
    assert outcome.inputs == {"statusCode": "200", "body": 4}


def test_response_after_the_caller_timed_out_fails() -> None:
    outcome = respond({"statusCode": 200, "body": 4}, FakeHost(state=ResponseState.TOO_LATE))
    assert (outcome.status, outcome.code) == ("Failed", "ActionResponseTimedOut")
    assert outcome.error is not None and outcome.error["code"] == "ActionResponseTimedOut"
    assert "already received a response" in outcome.error["message"]
    assert "timed out after 120 seconds" in outcome.error["message"]
    assert outcome.has_inputs and not outcome.has_outputs
    assert outcome.inputs == {"statusCode": "200", "body": 4}


def test_response_after_another_response_answered_fails() -> None:
    outcome = respond({"statusCode": 200}, FakeHost(state=ResponseState.ALREADY_ANSWERED))
    assert (outcome.status, outcome.code) == ("Failed", "ActionResponseAlreadySent")
    assert "earlier Response action" in outcome.error["message"]


@pytest.mark.parametrize(("value", "state"), [(True, "ANSWERED"), (False, "NOBODY_WAITING")])
def test_a_host_answering_a_bool_still_works(value: bool, state: str) -> None:
    assert ResponseState.of(value) is ResponseState[state]
    assert ResponseState.of(ResponseState.TOO_LATE) is ResponseState.TOO_LATE


@pytest.mark.parametrize("code", [302, "301", 100, 600, "abc", 200.5])
def test_response_constant_status_refused(code: object) -> None:
    with pytest.raises(DefinitionError) as err:
        respond({"statusCode": code}, FakeHost())
    assert err.value.path == "properties.definition.actions.Response.inputs.statusCode"


def test_response_runtime_3xx_fails() -> None:
    host = FakeHost()
    outcome = respond({"statusCode": "@x()"}, host, {"@x()": lambda c: 307})
    assert (outcome.status, outcome.code) == ("Failed", "BadRequest")
    assert "'307' is not valid" in outcome.error["message"]
    assert host.responses == []


@pytest.mark.parametrize("inside", [("Foreach",), ("Scope", "until"), ("foreach", "If")])
def test_response_in_loops_refused(inside: tuple[str, ...]) -> None:
    with pytest.raises(DefinitionError) as err:
        respond({"statusCode": 200}, FakeHost(), inside=inside)
    assert err.value.path == "properties.definition.actions.Response.type"


def test_response_in_scope_or_condition_allowed() -> None:
    assert respond({"statusCode": 200}, FakeHost(), inside=("Scope", "If")).status == "Succeeded"


def test_response_asynchronous_option_answers_as_without_it() -> None:
    """The option changes only how the caller is answered (202 + Location, polled): the action is the same."""
    spec = response.SPEC
    action = {"type": "Response", "inputs": {"statusCode": 201, "body": {"a": 1}}, "operationOptions": "Asynchronous"}
    host = FakeHost()
    outcome = run_action(spec, compile_action(spec, action, action_name="R"), FakeRunContext("R", host))
    assert outcome.status == "Succeeded"
    assert [(m.status, m.body) for m in host.responses] == [(201, {"a": 1})]


def test_response_message_rebuilt_from_its_outputs() -> None:
    """What a poll of an asynchronous response answers is what the action handed the host."""
    host = FakeHost()
    outcome = respond({"statusCode": "202", "headers": {"n": 5, "s": "t"}, "body": [1, "x"]}, host)
    assert response.message_of(outcome.outputs) == host.responses[0]
    assert response.message_of({"body": 1}) is None


def test_response_is_durable() -> None:
    assert response.SPEC.durable and wait.SPEC.durable and workflow.SPEC.durable


# Wait


def wait_for(inputs: dict, expressions: dict | None = None):
    ctx = FakeRunContext("Delay")
    ctx.clock = datetime(2026, 1, 31, 12, 0, 0, tzinfo=UTC)  # the run's clock
    outcome = run_action(
        wait.SPEC, compile_action(wait.SPEC, {"type": "Wait", "inputs": inputs}, expressions, action_name="Delay"), ctx
    )
    return outcome, ctx


@pytest.mark.parametrize(
    ("count", "unit", "seconds"),
    [
        (10, "Minute", 600.0),
        (15, "second", 15.0),
        (2, "Hour", 7200.0),
        (1, "Day", 86400.0),
        (1, "Week", 604800.0),
        ("3", "Second", 3.0),
    ],
)
def test_wait_interval(count: object, unit: str, seconds: float) -> None:
    outcome, ctx = wait_for({"interval": {"count": count, "unit": unit}})
    assert ctx.host.sleeps == [seconds]
    assert ctx.checkpoints == 1
    assert (outcome.status, outcome.code, outcome.has_outputs) == ("Succeeded", "OK", False)
    assert outcome.inputs == {"interval": {"count": count, "unit": unit}}


def test_wait_month_is_a_calendar_month() -> None:
    _, ctx = wait_for({"interval": {"count": 1, "unit": "Month"}})
    assert ctx.host.sleeps == [28 * 86400.0]  # 2026-01-31 -> 2026-02-28 (the day is clamped)


def test_wait_until_timestamp() -> None:
    outcome, ctx = wait_for({"until": {"timestamp": "2026-01-31T13:00:00Z"}})
    assert ctx.host.sleeps == [3600.0]
    assert outcome.inputs == {"until": {"timestamp": "2026-01-31T13:00:00Z"}}


def test_wait_until_past_timestamp_ends_at_once() -> None:
    outcome, ctx = wait_for({"until": {"timestamp": "2017-10-01T00:00:00Z"}})
    assert ctx.host.sleeps == [] and outcome.status == "Succeeded"


def test_wait_zero_count_does_not_sleep() -> None:
    _, ctx = wait_for({"interval": {"count": 0, "unit": "Second"}})
    assert ctx.host.sleeps == []


def test_wait_count_from_expression_checked_at_runtime() -> None:
    outcome, ctx = wait_for({"interval": {"count": "@x()", "unit": "Second"}}, {"@x()": lambda c: -1})
    assert (outcome.status, outcome.code) == ("Failed", "BadRequest")
    assert "'-1' is not valid" in outcome.error["message"]
    assert ctx.host.sleeps == []


@pytest.mark.parametrize(
    "inputs",
    [
        {"interval": {"count": 1, "unit": "Fortnight"}},
        {"interval": {"count": -5, "unit": "Second"}},
        {"until": {"time": "2017-10-01T00:00:00Z"}},
        {},
        {"interval": {"count": 1, "unit": "Second"}, "until": {"timestamp": "2017-10-01T00:00:00Z"}},
    ],
)
def test_wait_invalid_inputs_refused(inputs: dict) -> None:
    with pytest.raises(DefinitionError):
        compile_action(wait.SPEC, {"type": "Wait", "inputs": inputs})


# Workflow

CHILD = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Logic/workflows/child"


def call(host: FakeHost, **extra):
    inputs = {"host": {"triggerName": "manual", "workflow": {"id": CHILD}}, **extra}
    config = compile_action(workflow.SPEC, {"type": "Workflow", "inputs": inputs}, action_name="Child")
    return run_action(workflow.SPEC, config, FakeRunContext("Child", host)), inputs


def test_workflow_passes_body_and_headers_and_returns_the_response() -> None:
    host = FakeHost(child=lambda wid, trig, body, headers: ResponseMessage(201, {"x-a": "1"}, {"echo": body}))
    outcome, inputs = call(host, body={"n": 1}, headers={"x-h": 2})
    assert host.invocations == [(CHILD, "manual", {"n": 1}, {"x-h": "2"})]
    assert (outcome.status, outcome.code) == ("Succeeded", "Created")
    assert outcome.outputs == {"statusCode": 201, "headers": {"x-a": "1"}, "body": {"echo": {"n": 1}}}
    assert outcome.inputs == inputs


def test_workflow_non_2xx_answer_fails() -> None:
    host = FakeHost(child=lambda *a: ResponseMessage(400, {}, {"err": 1}))
    outcome, _ = call(host)
    assert (outcome.status, outcome.code) == ("Failed", "BadRequest")
    assert outcome.outputs == {"statusCode": 400, "headers": {}, "body": {"err": 1}}
    assert len(host.invocations) == 1 and outcome.retry_history is None  # 4xx other than 408/429: no retry


def test_workflow_5xx_answer_is_retried_by_the_default_policy() -> None:
    host = FakeHost(child=lambda *a: ResponseMessage(500, {}, {"err": 1}))
    outcome, _ = call(host)
    assert (outcome.status, outcome.code) == ("Failed", "InternalServerError")
    assert len(host.invocations) == 5
    assert [entry["code"] for entry in outcome.retry_history] == ["InternalServerError"] * 4
    # Exponential from PT7S within [PT5S, PT1H]: retry n waits between max(2^(n-2)*7, 5) and 2^(n-1)*7 seconds.
    bounds = [(5, 7), (7, 14), (14, 28), (28, 56)]
    assert all(low <= slept <= high for slept, (low, high) in zip(host.sleeps, bounds, strict=True))


def test_workflow_retry_policy_fixed_and_recovery() -> None:
    answers = [ResponseMessage(429, {}, None), ResponseMessage(200, {}, "ok")]
    host = FakeHost(child=lambda *a: answers.pop(0))
    outcome, _ = call(host, retryPolicy={"type": "fixed", "count": 3, "interval": "PT10S"})
    assert (outcome.status, outcome.code, outcome.outputs["body"]) == ("Succeeded", "OK", "ok")
    assert host.sleeps == [10.0]
    assert [entry["code"] for entry in outcome.retry_history] == ["TooManyRequests"]


def test_workflow_retry_policy_none() -> None:
    host = FakeHost(child=lambda *a: ResponseMessage(503, {}, None))
    outcome, _ = call(host, retryPolicy={"type": "none"})
    assert (outcome.status, len(host.invocations), host.sleeps) == ("Failed", 1, [])


def test_workflow_invalid_retry_policy_refused() -> None:
    inputs = {"host": {"triggerName": "manual", "workflow": {"id": CHILD}}, "retryPolicy": {"type": "sometimes"}}
    with pytest.raises(DefinitionError) as err:
        compile_action(workflow.SPEC, {"type": "Workflow", "inputs": inputs}, action_name="W")
    assert err.value.path == "properties.definition.actions.W.inputs.retryPolicy.type"


def test_workflow_child_without_response_action_fails() -> None:
    outcome, _ = call(FakeHost(child=lambda *a: None))
    assert (outcome.status, outcome.code) == ("Failed", "NestedWorkflowDoesNotContainResponseAction")
    assert outcome.error["code"] == "NestedWorkflowDoesNotContainResponseAction"
    assert CHILD in outcome.error["message"]


def test_workflow_missing_child_fails_with_host_error() -> None:
    def missing(*args: object) -> ResponseMessage:
        raise KeylessError("The workflow 'child' could not be found.", status=404, code="WorkflowNotFound")

    outcome, _ = call(FakeHost(child=missing))
    assert (outcome.status, outcome.code) == ("Failed", "NotFound")
    assert outcome.error == {"code": "WorkflowNotFound", "message": "The workflow 'child' could not be found."}


@pytest.mark.parametrize(
    ("inputs", "path"),
    [
        ({"host": {"triggerName": "manual"}}, "inputs.host.workflow.id"),
        ({}, "inputs.host"),
    ],
)
def test_workflow_requires_host_fields(inputs: dict, path: str) -> None:
    with pytest.raises(DefinitionError) as err:
        compile_action(workflow.SPEC, {"type": "Workflow", "inputs": inputs}, action_name="W")
    assert err.value.path == f"properties.definition.actions.W.{path}"


def test_workflow_without_trigger_name_asks_host_for_the_request_trigger() -> None:
    host = FakeHost(child=lambda *a: ResponseMessage(200, {}, None))
    config = compile_action(
        workflow.SPEC, {"type": "Workflow", "inputs": {"host": {"workflow": {"id": "child"}}, "body": "x"}}
    )
    outcome = run_action(workflow.SPEC, config, FakeRunContext("W", host))
    assert host.invocations == [("child", "", "x", {})]
    assert (outcome.status, outcome.code, outcome.outputs) == ("Succeeded", "OK", {"statusCode": 200, "headers": {}})
