"""The Request trigger's callback listener on a running keyless (reference §2.1): SAS, method and relativePath,
the trigger outputs a run sees, 202 without a Response action, the Response's status/headers/body, both URL
shapes, and the run recorded in the history."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests

from keyless.workflows import callback, ids
from keyless.workflows.actions.registry import ACTION_TYPES
from tests.platform.inprocess import InProcessKeyless
from tests.workflows.runtime.helpers import deploy, wait_run

# The Response action is built by another engineer; until it is registered these tests cannot run.
needs_response = pytest.mark.skipif("response" not in ACTION_TYPES, reason="the Response action is not registered")

TRIGGER = {"type": "Request", "kind": "Http", "inputs": {"method": "POST"}}


@pytest.fixture(scope="module")
def kl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessKeyless]:
    server = InProcessKeyless(tmp_path_factory.mktemp("request-trigger")).start()
    try:
        yield server
    finally:
        server.stop()


def definition(actions: dict[str, Any], trigger: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#",
        "contentVersion": "1.0.0.0",
        "triggers": {"manual": trigger or TRIGGER},
        "actions": actions,
    }


def callback_url(kl: InProcessKeyless, workflow_id: str, *, trigger: str = "manual", standard: bool = False) -> str:
    svc = kl.svc
    primary, _ = kl.run(svc.workflows.keys.keys(workflow_id))
    sp = f"/triggers/{trigger}/run"
    query = f"sp={quote(sp, safe='')}&sv=1.0&sig={callback.sign(primary, sp)}"
    if standard:
        name = workflow_id.rsplit("/", 1)[-1]
        return f"{kl.e['logic']}/api/{name}/triggers/{trigger}/invoke?api-version=2022-05-01&{query}"
    endpoint = kl.run(svc.workflows.keys.endpoint_id(workflow_id))
    return f"{kl.e['logic']}/workflows/{endpoint}/triggers/{trigger}/paths/invoke?api-version=2016-10-01&{query}"


def with_path(url: str, path: str) -> str:
    base, _, query = url.partition("?")
    return f"{base}/{path}?{query}"


def compose_of(kl: InProcessKeyless, workflow_id: str, run_name: str, action: str = "Echo") -> Any:
    record = kl.run(kl.svc.workflows.history.record(workflow_id, run_name, action))
    assert record is not None, f"no record of {action}"
    return record


def call(kl: InProcessKeyless, method: str, url: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, url, verify=kl.ca, timeout=30, **kwargs)


def test_sas_is_required(kl: InProcessKeyless) -> None:
    wf = deploy(kl, definition({}))
    url = callback_url(kl, wf).split("&sp=")[0]
    r = call(kl, "POST", url, json={})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "AuthorizationFailed"
    assert "'sp'" in r.json()["error"]["message"]


def test_tampered_signature_is_refused(kl: InProcessKeyless) -> None:
    wf = deploy(kl, definition({}))
    url = callback_url(kl, wf)
    head, sig = url.rsplit("sig=", 1)
    tampered = head + "sig=" + ("A" if sig[0] != "A" else "B") + sig[1:]
    r = call(kl, "POST", tampered, json={})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "AuthorizationFailed"
    # A URL signed for another trigger does not open this one.
    other = callback_url(kl, wf, trigger="other").replace("/triggers/other/", "/triggers/manual/")
    assert call(kl, "POST", other, json={}).status_code == 401


def test_no_response_action_answers_202_and_the_run_sees_the_trigger_outputs(kl: InProcessKeyless) -> None:
    wf = deploy(kl, definition({"Echo": {"type": "Compose", "inputs": "@triggerOutputs()", "runAfter": {}}}))
    r = call(kl, "POST", callback_url(kl, wf) + "&extra=1", json={"order": 7}, headers={"X-Custom": "yes"})
    assert r.status_code == 202
    assert r.content == b""
    run_name = r.headers["x-ms-workflow-run-id"]
    assert ids.is_run_name(run_name)
    assert r.headers["x-ms-trigger-history-name"] == run_name
    assert r.headers["x-ms-client-tracking-id"] == run_name
    assert r.headers["x-ms-workflow-name"] == wf.rsplit("/", 1)[-1]
    run = wait_run(kl, wf, run_name)
    assert run.status == "Succeeded"
    outputs = compose_of(kl, wf, run_name).outputs
    assert outputs["body"] == {"order": 7}
    assert outputs["queries"] == {"extra": "1"}  # SAS parameters are not part of the trigger outputs
    assert outputs["headers"]["X-Custom"] == "yes"
    assert run.trigger.outputs["body"] == {"order": 7}


def test_wrong_method_is_refused(kl: InProcessKeyless) -> None:
    wf = deploy(kl, definition({}))
    r = call(kl, "GET", callback_url(kl, wf))
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "TriggerRequestMethodNotValid"


def test_relative_path_parameters(kl: InProcessKeyless) -> None:
    trigger = {"type": "Request", "kind": "Http", "inputs": {"method": "PUT", "relativePath": "customer/{id}/orders"}}
    wf = deploy(kl, definition({"Echo": {"type": "Compose", "inputs": "@triggerOutputs()", "runAfter": {}}}, trigger))
    url = callback_url(kl, wf)
    r = call(kl, "PUT", with_path(url, "Customer/a%2Fb%20c/orders"))
    assert r.status_code == 202, r.text
    run_name = r.headers["x-ms-workflow-run-id"]
    wait_run(kl, wf, run_name)
    assert compose_of(kl, wf, run_name).outputs["relativePathParameters"] == {"id": "a/b c"}
    missing = call(kl, "PUT", with_path(url, "customer/1"))
    assert missing.status_code == 404


def test_text_and_form_bodies_become_envelopes_or_text(kl: InProcessKeyless) -> None:
    wf = deploy(kl, definition({"Echo": {"type": "Compose", "inputs": "@triggerBody()", "runAfter": {}}}))
    url = callback_url(kl, wf)
    r = call(kl, "POST", url, data=b"hello", headers={"Content-Type": "text/plain"})
    wait_run(kl, wf, r.headers["x-ms-workflow-run-id"])
    assert compose_of(kl, wf, r.headers["x-ms-workflow-run-id"]).outputs == "hello"
    r = call(kl, "POST", url, data={"x": "y=z"})
    wait_run(kl, wf, r.headers["x-ms-workflow-run-id"])
    form = compose_of(kl, wf, r.headers["x-ms-workflow-run-id"]).outputs
    assert form["$content-type"] == "application/x-www-form-urlencoded"
    assert form["$formdata"] == [{"key": "x", "value": "y=z"}]


def test_standard_url_shape(kl: InProcessKeyless) -> None:
    wf = deploy(kl, definition({"Echo": {"type": "Compose", "inputs": "@triggerBody()", "runAfter": {}}}))
    r = call(kl, "POST", callback_url(kl, wf, standard=True), json={"via": "standard"})
    assert r.status_code == 202, r.text
    run_name = r.headers["x-ms-workflow-run-id"]
    assert wait_run(kl, wf, run_name).status == "Succeeded"
    assert compose_of(kl, wf, run_name).outputs == {"via": "standard"}


def test_disabled_workflow_is_refused(kl: InProcessKeyless) -> None:
    wf = deploy(kl, definition({}), state="Disabled")
    r = call(kl, "POST", callback_url(kl, wf), json={})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "WorkflowDisabled"


@needs_response
def test_response_action_answers_the_caller(kl: InProcessKeyless) -> None:
    wf = deploy(
        kl,
        definition(
            {
                "Reply": {
                    "type": "Response",
                    "kind": "Http",
                    "inputs": {
                        "statusCode": 201,
                        "headers": {"X-Reply": "@{triggerBody()?['n']}"},
                        "body": {"doubled": "@mul(triggerBody()?['n'], 2)"},
                    },
                    "runAfter": {},
                }
            }
        ),
    )
    r = call(kl, "POST", callback_url(kl, wf), json={"n": 21})
    assert r.status_code == 201, r.text
    assert r.json() == {"doubled": 42}
    assert r.headers["X-Reply"] == "21"
    assert r.headers["Content-Type"].startswith("application/json")
    assert wait_run(kl, wf, r.headers["x-ms-workflow-run-id"]).status == "Succeeded"


@needs_response
def test_run_failing_before_its_response_answers_502(kl: InProcessKeyless) -> None:
    wf = deploy(
        kl,
        definition(
            {
                "Boom": {"type": "Compose", "inputs": "@div(1, 0)", "runAfter": {}},
                "Reply": {
                    "type": "Response",
                    "kind": "Http",
                    "inputs": {"statusCode": 200},
                    "runAfter": {"Boom": ["Succeeded"]},
                },
            }
        ),
    )
    r = call(kl, "POST", callback_url(kl, wf), json={})
    assert r.status_code == 502
    assert r.json()["error"]["code"] == "NoResponse"


def test_correlation_client_tracking_id_is_evaluated_on_the_trigger(kl: InProcessKeyless) -> None:
    trigger = {
        **TRIGGER,
        "correlation": {"clientTrackingId": "@coalesce(triggerOutputs()?['headers']?['X-Order-Id'], 'none')"},
    }
    wf = deploy(kl, definition({"Echo": {"type": "Compose", "inputs": "@workflow()", "runAfter": {}}}, trigger))
    r = call(kl, "POST", callback_url(kl, wf), json={}, headers={"X-Order-Id": "order-77"})
    assert r.status_code == 202, r.text
    assert r.headers["x-ms-client-tracking-id"] == "order-77"
    run = wait_run(kl, wf, r.headers["x-ms-workflow-run-id"])
    assert run.client_tracking_id == "order-77"
    assert compose_of(kl, wf, run.name).client_tracking_id == "order-77"


def test_a_real_looking_callback_host_reaches_the_logic_listener(kl: InProcessKeyless) -> None:
    """An Http action calling `https://prod-00.<region>.logic.azure.com/...` (a URL copied from Azure) reaches
    keyless's callback listener through the host aliases."""
    child = deploy(kl, definition({"Echo": {"type": "Compose", "inputs": "@triggerBody()", "runAfter": {}}}))
    local = callback_url(kl, child)
    azure_like = "https://prod-00.westeurope.logic.azure.com:443" + local.split(kl.e["logic"], 1)[1]
    parent = deploy(
        kl,
        definition(
            {
                "Call": {
                    "type": "Http",
                    "inputs": {"method": "POST", "uri": azure_like, "body": {"from": "parent"}},
                    "runAfter": {},
                }
            }
        ),
    )
    r = call(kl, "POST", callback_url(kl, parent), json={})
    assert wait_run(kl, parent, r.headers["x-ms-workflow-run-id"]).status == "Succeeded"
    called = kl.run(kl.svc.workflows.history.record(parent, r.headers["x-ms-workflow-run-id"], "Call"))
    assert called.outputs["statusCode"] == 202
    child_run = called.outputs["headers"]["x-ms-workflow-run-id"]
    assert wait_run(kl, child, child_run).status == "Succeeded"
    assert compose_of(kl, child, child_run).outputs == {"from": "parent"}


def test_enable_schema_validation_refuses_a_body_that_does_not_match(kl: InProcessKeyless) -> None:
    schema = {"type": "object", "properties": {"qty": {"type": "integer"}}, "required": ["qty"]}
    trigger = {**TRIGGER, "inputs": {"method": "POST", "schema": schema}, "operationOptions": "EnableSchemaValidation"}
    wf = deploy(kl, definition({}, trigger))
    refused = call(kl, "POST", callback_url(kl, wf), json={"qty": "many"})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "TriggerInputSchemaMismatch"
    assert "trigger 'manual'" in refused.json()["error"]["message"]
    assert kl.run(kl.svc.workflows.history.list_runs(wf, limit=5)) == []  # no run for a refused request
    assert call(kl, "POST", callback_url(kl, wf), json={"qty": 2}).status_code == 202
    # Without the option the schema only documents the body.
    lax = deploy(kl, definition({}, {**TRIGGER, "inputs": {"method": "POST", "schema": schema}}))
    assert call(kl, "POST", callback_url(kl, lax), json={"qty": "many"}).status_code == 202


def test_a_trigger_named_like_the_url_keywords_keeps_its_relative_path(kl: InProcessKeyless) -> None:
    trigger = {"type": "Request", "kind": "Http", "inputs": {"method": "POST", "relativePath": "items/{id}"}}
    wf = deploy(
        kl,
        {
            "contentVersion": "1.0.0.0",
            "triggers": {"invoke_items": trigger},
            "actions": {"Echo": {"type": "Compose", "inputs": "@triggerOutputs()", "runAfter": {}}},
        },
    )
    for standard in (False, True):
        url = with_path(callback_url(kl, wf, trigger="invoke_items", standard=standard), "items/invoke%2F7")
        r = call(kl, "POST", url, json={})
        assert r.status_code == 202, r.text
        run = wait_run(kl, wf, r.headers["x-ms-workflow-run-id"])
        assert compose_of(kl, wf, run.name).outputs["relativePathParameters"] == {"id": "invoke/7"}
