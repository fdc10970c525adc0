"""The data, variable, Response, Wait and Workflow actions run inside whole definitions: compiled by
compile_definition, run by execute_run against an InMemoryJournal, with the real expression language."""

from __future__ import annotations

from typing import Any

import pytest

from keyless.workflows.errors import DefinitionError
from keyless.workflows.host import ResponseMessage
from keyless.workflows.records import FAILED, SKIPPED, SUCCEEDED
from tests.workflows.fakes import Clock, FakeHost, compile_, run


def init(name: str, type_name: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "type": type_name}
    if value is not None:
        entry["value"] = value
    return {"type": "InitializeVariable", "inputs": {"variables": [entry]}, **extra}


def after(*names: str) -> dict[str, list[str]]:
    return {name: ["Succeeded"] for name in names}


async def test_counter_in_until_loop_and_variable_updates() -> None:
    actions = {
        "Initialize_variable": init("one", "integer", 1),
        "Until": {
            "type": "Until",
            "expression": "@equals(variables('one'),10)",
            "limit": {"count": 60, "timeout": "PT1H"},
            "actions": {"Increment_variable": {"type": "IncrementVariable", "inputs": {"name": "one", "value": 1}}},
            "runAfter": after("Initialize_variable"),
        },
        "Init_list": init("list", "Array", runAfter=after("Until")),
        "Append": {
            "type": "AppendToArrayVariable",
            "inputs": {"name": "LIST", "value": "@variables('one')"},
            "runAfter": after("Init_list"),
        },
        "Init_text": init("text", "String", "n=", runAfter=after("Append")),
        "Append_text": {
            "type": "AppendToStringVariable",
            "inputs": {"name": "text", "value": "@{length(variables('list'))}"},
            "runAfter": after("Init_text"),
        },
        "Set": {"type": "SetVariable", "inputs": {"name": "one", "value": -1}, "runAfter": after("Append_text")},
        "Compose": {
            "type": "Compose",
            "inputs": {"one": "@variables('one')", "list": "@variables('list')", "text": "@variables('text')"},
            "runAfter": after("Set"),
        },
    }
    result = await run(actions)
    assert result.outcome.status == SUCCEEDED
    assert result.record("Compose").outputs == {"one": -1, "list": [10], "text": "n=1"}
    increment = result.record("Increment_variable#000008")
    assert (increment.status, increment.code) == (SUCCEEDED, "NotSpecified")
    assert increment.inputs == {"name": "one", "value": 1}
    assert increment.outputs == {"body": {"name": "one", "value": 10}}
    initialize = result.record("Initialize_variable")
    assert (initialize.code, initialize.has_outputs) == ("NotSpecified", False)
    assert initialize.inputs == {"variables": [{"name": "one", "type": "integer", "value": 1}]}
    assert result.record("Set").outputs == {"body": {"name": "one", "value": -1}}


async def test_variable_type_error_fails_the_run() -> None:
    actions = {
        "Init": init("count", "Integer", 0),
        "Set": {"type": "SetVariable", "inputs": {"name": "count", "value": "@string(5)"}, "runAfter": after("Init")},
    }
    result = await run(actions)
    record = result.record("Set")
    assert (record.status, record.code) == (FAILED, "BadRequest")
    assert record.error["message"] == (
        "The variable 'count' of type 'Integer' cannot be initialized or updated with value of type 'String'."
    )
    assert result.outcome.status == FAILED


async def test_array_operations_with_item() -> None:
    rows = [{"name": "Apples", "qty": 1}, {"name": "Oranges", "qty": 0}, {"name": "Pears", "qty": 3}]
    actions = {
        "Filter_array": {"type": "Query", "inputs": {"from": "@triggerBody()", "where": "@greater(item()?['qty'], 0)"}},
        "Select": {
            "type": "Select",
            "inputs": {
                "from": "@body('Filter_array')",
                "select": {"fruit": "@toUpper(item()['name'])", "n": "@item()?['qty']"},
            },
            "runAfter": after("Filter_array"),
        },
        "Join": {
            "type": "Join",
            "inputs": {"from": "@createArray(1, 'two', null, true)", "joinWith": ";"},
            "runAfter": after("Select"),
        },
        "Create_CSV_table": {
            "type": "Table",
            "inputs": {
                "format": "CSV",
                "from": "@body('Select')",
                "columns": [
                    {"header": "Fruit", "value": "@item()['fruit']"},
                    {"header": "Qty", "value": "@{item()['n']} kg"},
                ],
            },
            "runAfter": after("Join"),
        },
        "Create_HTML_table": {
            "type": "Table",
            "inputs": {"format": "HTML", "from": "@body('Select')"},
            "runAfter": after("Join"),
        },
    }
    result = await run(actions, body=rows)
    assert result.outcome.status == SUCCEEDED
    query = result.record("Filter_array")
    assert (query.code, query.inputs, query.outputs) == ("NotSpecified", rows, {"body": [rows[0], rows[2]]})
    assert result.record("Select").outputs == {"body": [{"fruit": "APPLES", "n": 1}, {"fruit": "PEARS", "n": 3}]}
    assert result.record("Join").outputs == {"body": "1;two;;True"}
    assert result.record("Create_CSV_table").outputs == {"body": "Fruit,Qty\r\nAPPLES,1 kg\r\nPEARS,3 kg\r\n"}
    assert result.record("Create_HTML_table").outputs == {
        "body": "<table><thead><tr><th>fruit</th><th>n</th></tr></thead><tbody><tr><td>APPLES</td><td>1</td></tr>"
        "<tr><td>PEARS</td><td>3</td></tr></tbody></table>"
    }


async def test_select_inside_foreach_sees_both_items() -> None:
    actions = {
        "For_each": {
            "type": "Foreach",
            "foreach": "@createArray('a', 'b')",
            "operationOptions": "Sequential",
            "actions": {
                "Select": {
                    "type": "Select",
                    "inputs": {"from": "@createArray(1, 2)", "select": "@concat(items('For_each'), item())"},
                }
            },
        }
    }
    result = await run(actions)
    assert result.record("Select#000000").outputs == {"body": ["a1", "a2"]}
    assert result.record("Select#000001").outputs == {"body": ["b1", "b2"]}


async def test_expression_error_inside_where_fails_with_invalid_template() -> None:
    actions = {"Filter": {"type": "Query", "inputs": {"from": "@createArray(1)", "where": "@nope(item())"}}}
    record = (await run(actions)).record("Filter")
    assert (record.status, record.code) == (FAILED, "InvalidTemplate")
    assert "The template function 'nope' is not defined or not valid." in record.error["message"]


async def test_parse_json_then_response() -> None:
    schema = {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}
    actions = {
        "Parse_JSON": {"type": "ParseJson", "inputs": {"content": "@triggerBody()", "schema": schema}},
        "Response": {
            "type": "Response",
            "kind": "Http",
            "inputs": {
                "statusCode": 201,
                "headers": {"x-id": "@{body('Parse_JSON')?['id']}"},
                "body": {"got": "@body('Parse_JSON')"},
            },
            "runAfter": after("Parse_JSON"),
        },
    }
    result = await run(actions, body='{"id": 7}')
    assert result.outcome.status == SUCCEEDED
    assert result.record("Parse_JSON").outputs == {"body": {"id": 7}}
    assert result.host.responses == [ResponseMessage(201, {"x-id": "7"}, {"got": {"id": 7}})]
    response = result.record("Response")
    assert (response.status, response.code) == (SUCCEEDED, "OK")
    assert response.outputs == {"statusCode": "201", "headers": {"x-id": "7"}, "body": {"got": {"id": 7}}}

    failed = await run(actions, body='{"id": "seven"}')
    record = failed.record("Parse_JSON")
    assert (record.status, record.code, record.error["code"]) == (FAILED, "ValidationFailed", "ValidationFailed")
    assert record.outputs["errors"][0]["message"] == "Invalid type. Expected Integer but got String."
    assert failed.record("Response").status == SKIPPED
    assert failed.outcome.status == FAILED


class NotWaiting(FakeHost):
    async def respond(self, message: ResponseMessage) -> bool:
        return False


async def test_response_when_nobody_waits_is_skipped_and_run_succeeds() -> None:
    actions = {"Response": {"type": "Response", "kind": "Http", "inputs": {"statusCode": 200, "body": "hi"}}}
    result = await run(actions, host=NotWaiting())
    record = result.record("Response")
    assert (record.status, record.code, record.error["code"]) == (
        SKIPPED,
        "ActionResponseSkipped",
        "ActionResponseSkipped",
    )
    assert record.has_inputs and not record.has_outputs
    assert result.outcome.status == SUCCEEDED


@pytest.mark.parametrize(
    ("actions", "path"),
    [
        (
            {
                "For_each": {
                    "type": "Foreach",
                    "foreach": "@createArray(1)",
                    "actions": {"Response": {"type": "Response", "inputs": {"statusCode": 200}}},
                }
            },
            "actions.For_each.actions.Response.type",
        ),
        (
            {"Scope": {"type": "Scope", "actions": {"Init": init("v", "String")}}},
            "actions.Scope.actions.Init.type",
        ),
        ({"Response": {"type": "Response", "inputs": {"statusCode": 302}}}, "actions.Response.inputs.statusCode"),
    ],
)
def test_refused_when_saved(actions: dict[str, Any], path: str) -> None:
    with pytest.raises(DefinitionError) as err:
        compile_(actions)
    assert err.value.path.endswith(path)


async def test_wait_sleeps_through_the_host() -> None:
    actions = {
        "Delay": {"type": "Wait", "inputs": {"interval": {"count": 10, "unit": "Minute"}}},
        "Until_time": {
            "type": "Wait",
            "inputs": {"until": {"timestamp": "2026-01-01T01:00:00Z"}},
            "runAfter": after("Delay"),
        },
    }
    result = await run(actions, clock=Clock())
    assert result.host.slept == [600.0, 3600.0]
    delay = result.record("Delay")
    assert (delay.status, delay.code, delay.has_outputs) == (SUCCEEDED, "OK", False)
    assert delay.inputs == {"interval": {"count": 10, "unit": "Minute"}}


class ChildHost(FakeHost):
    def __init__(self, answer: ResponseMessage | None) -> None:
        super().__init__()
        self.answer = answer
        self.calls: list[tuple[str, str, Any, dict[str, str]]] = []

    async def invoke_workflow(self, workflow_id: str, trigger_name: str, body: Any, headers: dict[str, str]) -> Any:
        self.calls.append((workflow_id, trigger_name, body, headers))
        return self.answer


CHILD = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Logic/workflows/child"


def child_action() -> dict[str, Any]:
    return {
        "type": "Workflow",
        "inputs": {
            "host": {"triggerName": "manual", "workflow": {"id": CHILD}},
            "body": {"order": "@triggerBody()"},
            "headers": {"x-n": "@{triggerBody()}"},
        },
    }


async def test_workflow_action_returns_the_child_response() -> None:
    host = ChildHost(ResponseMessage(200, {"Content-Type": "application/json"}, {"ok": True}))
    result = await run(
        {"Child": child_action(), "Use": {"type": "Compose", "inputs": "@body('Child')", "runAfter": after("Child")}},
        body=5,
        host=host,
    )
    assert host.calls == [(CHILD, "manual", {"order": 5}, {"x-n": "5"})]
    record = result.record("Child")
    assert (record.status, record.code) == (SUCCEEDED, "OK")
    assert record.outputs == {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": {"ok": True}}
    assert result.record("Use").outputs == {"ok": True}


async def test_workflow_action_child_errors() -> None:
    result = await run({"Child": child_action()}, body=5, host=ChildHost(None))
    assert result.record("Child").code == "NestedWorkflowDoesNotContainResponseAction"
    assert result.outcome.status == FAILED
    missing = await run({"Child": child_action()}, body=5)  # the shared FakeHost knows no child workflow
    record = missing.record("Child")
    assert (record.status, record.error["code"]) == (FAILED, "WorkflowNotFound")
