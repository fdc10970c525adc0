"""A Response with `operationOptions: Asynchronous` on a running keyless: the call is answered 202 + Location at
once, `GET <Location>` answers 202 until the run's Response has answered and then that answer, the Location is
SAS-signed, and a run that ends without answering polls as 502 NoResponse (the synchronous caller's answer)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from keyless.workflows import callback
from tests.platform.inprocess import InProcessKeyless
from tests.workflows.runtime.helpers import deploy, wait_run
from tests.workflows.runtime.test_request_trigger import callback_url, definition
from tests.workflows.runtime.test_trigger_firing import Gate

RESPONSE = {
    "type": "Response",
    "kind": "Http",
    "inputs": {"statusCode": 201, "headers": {"X-Order": "@{triggerBody()?['order']}"}, "body": "@triggerBody()"},
    "operationOptions": "Asynchronous",
}


@pytest.fixture(scope="module")
def kl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessKeyless]:
    server = InProcessKeyless(tmp_path_factory.mktemp("async-response")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def gate() -> Iterator[Gate]:
    backend = Gate()
    try:
        yield backend
    finally:
        backend.close()


def post(kl: InProcessKeyless, url: str, body: Any) -> requests.Response:
    return requests.post(url, json=body, verify=kl.ca, timeout=30)


def poll(kl: InProcessKeyless, url: str) -> requests.Response:
    return requests.get(url, verify=kl.ca, timeout=30)


def slow_then_respond(gate: Gate, response: dict[str, Any] | None = None) -> dict[str, Any]:
    """A run that waits on the test's backend before it reaches its (asynchronous) Response."""
    return definition(
        {
            "Slow": {"type": "Http", "inputs": {"method": "GET", "uri": gate.url}, "runAfter": {}},
            "Response": {**(response or RESPONSE), "runAfter": {"Slow": ["Succeeded"]}},
        }
    )


def test_the_call_is_answered_202_with_a_location_at_once_and_polled_until_the_response(
    kl: InProcessKeyless, gate: Gate
) -> None:
    wf = deploy(kl, slow_then_respond(gate))
    r = post(kl, callback_url(kl, wf), {"order": 7})
    # Answered while the run still waits on the backend, long before it reaches the Response.
    assert r.status_code == 202
    assert r.content == b""
    run_name = r.headers["x-ms-workflow-run-id"]
    assert r.headers["Retry-After"].isdigit()
    location = r.headers["Location"]
    endpoint = kl.run(kl.svc.workflows.keys.endpoint_id(wf))
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}" == kl.e["logic"]
    assert parts.path.startswith(f"/workflows/{endpoint}/runs/{run_name}/operations/")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["sp"] == parts.path.split(f"/workflows/{endpoint}", 1)[1] + "/read"
    assert query["sv"] == "1.0" and len(query["sig"]) == 43

    waiting = poll(kl, location)
    assert waiting.status_code == 202
    assert waiting.headers["Location"] == location
    assert waiting.headers["x-ms-workflow-run-id"] == run_name

    gate.release.set()
    run = wait_run(kl, wf, run_name)
    assert run.status == "Succeeded"
    for _ in range(2):  # the answer stays: every poll after the Response gets it
        done = poll(kl, location)
        assert done.status_code == 201
        assert done.json() == {"order": 7}
        assert done.headers["X-Order"] == "7"
        assert done.headers["x-ms-workflow-run-id"] == run_name
        assert "Location" not in done.headers

    record = kl.run(kl.svc.workflows.history.record(wf, run_name, "Response"))
    assert (record.status, record.code) == ("Succeeded", "OK")
    assert record.outputs == {"statusCode": "201", "headers": {"X-Order": "7"}, "body": {"order": 7}}
    assert record.outputs == record.inputs


def test_the_response_may_come_before_the_run_ends(kl: InProcessKeyless, gate: Gate) -> None:
    actions = {
        "Response": {**RESPONSE, "runAfter": {}},
        "Slow": {"type": "Http", "inputs": {"method": "GET", "uri": gate.url}, "runAfter": {"Response": ["Succeeded"]}},
    }
    wf = deploy(kl, definition(actions))
    r = post(kl, callback_url(kl, wf), {"order": 8})
    assert r.status_code == 202
    run_name = r.headers["x-ms-workflow-run-id"]
    history = kl.svc.workflows.history
    # The run blocks in Slow, after its Response: the poll has the answer while the run is still Running.
    recorded(kl, wf, run_name, "Response")
    assert kl.run(history.run(wf, run_name)).status == "Running"
    answer = poll(kl, r.headers["Location"])
    assert (answer.status_code, answer.json()) == (201, {"order": 8})
    gate.release.set()
    assert wait_run(kl, wf, run_name).status == "Succeeded"


def test_a_location_with_a_bad_signature_is_refused(kl: InProcessKeyless, gate: Gate) -> None:
    wf = deploy(kl, slow_then_respond(gate))
    first = post(kl, callback_url(kl, wf), {"order": 1})
    second = post(kl, callback_url(kl, wf), {"order": 2})
    location = first.headers["Location"]
    head, sig = location.rsplit("sig=", 1)
    tampered = head + "sig=" + ("A" if sig[0] != "A" else "B") + sig[1:]
    r = poll(kl, tampered)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "AuthorizationFailed"
    unsigned = poll(kl, location.split("&sp=")[0])
    assert unsigned.status_code == 401 and "'sp'" in unsigned.json()["error"]["message"]
    # One run's signed query does not open another run's operation.
    other_path = urlsplit(second.headers["Location"]).path
    borrowed = f"{kl.e['logic']}{other_path}?{urlsplit(location).query}"
    assert poll(kl, borrowed).status_code == 401
    assert poll(kl, location).status_code == 202
    _, secondary = kl.run(kl.svc.workflows.keys.keys(wf))
    forged = location.replace(f"sig={sig}", "sig=" + callback.sign(secondary, parse_sp(location)))
    assert poll(kl, forged).status_code == 202  # the secondary key signs valid Locations too

    async def regenerate_primary() -> None:  # what regenerateAccessKey does
        await kl.svc.workflows.keys.regenerate(wf, "Primary")
        await kl.svc.workflows.on_workflow_changed(wf)

    kl.run(regenerate_primary())
    assert poll(kl, location).status_code == 401  # signed with the old primary key
    assert poll(kl, forged).status_code == 202
    gate.release.set()
    wait_run(kl, wf, first.headers["x-ms-workflow-run-id"])
    wait_run(kl, wf, second.headers["x-ms-workflow-run-id"])


def recorded(kl: InProcessKeyless, workflow_id: str, run_name: str, action: str) -> Any:
    """The action's record once the history has it (written when the action ends)."""
    history = kl.svc.workflows.history
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        record = kl.run(history.record(workflow_id, run_name, action))
        if record is not None:
            return record
        time.sleep(0.05)
    raise AssertionError(f"{action} of run {run_name} was not recorded")


def parse_sp(location: str) -> str:
    return parse_qs(urlsplit(location).query)["sp"][0]


def test_a_run_that_fails_before_its_response_polls_as_502(kl: InProcessKeyless, gate: Gate) -> None:
    actions = {
        "Slow": {"type": "Http", "inputs": {"method": "GET", "uri": gate.url}, "runAfter": {}},
        "Fail": {
            "type": "Terminate",
            "inputs": {"runStatus": "Failed", "runError": {"code": "Boom", "message": "no answer"}},
            "runAfter": {"Slow": ["Succeeded"]},
        },
        "Response": {**RESPONSE, "runAfter": {"Fail": ["Succeeded"]}},
    }
    wf = deploy(kl, definition(actions))
    r = post(kl, callback_url(kl, wf), {"order": 3})
    assert r.status_code == 202
    run_name = r.headers["x-ms-workflow-run-id"]
    assert poll(kl, r.headers["Location"]).status_code == 202
    gate.release.set()
    assert wait_run(kl, wf, run_name).status == "Failed"
    answer = poll(kl, r.headers["Location"])
    assert answer.status_code == 502
    assert answer.json()["error"]["code"] == "NoResponse"
    assert answer.headers["x-ms-workflow-run-id"] == run_name


def test_an_unknown_run_is_not_found(kl: InProcessKeyless) -> None:
    wf = deploy(kl, definition({"Response": {**RESPONSE, "runAfter": {}}}))
    r = post(kl, callback_url(kl, wf), {"order": 4})
    wait_run(kl, wf, r.headers["x-ms-workflow-run-id"])
    assert poll(kl, r.headers["Location"]).status_code == 201
    keys = kl.run(kl.svc.workflows.keys.keys(wf))
    endpoint = kl.run(kl.svc.workflows.keys.endpoint_id(wf))
    path = "/runs/08584640926573727105946217888CU00/operations/00000000-0000-0000-0000-000000000000"
    sp = f"{path}/read"
    url = f"{kl.e['logic']}/workflows/{endpoint}{path}?sp={sp}&sv=1.0&sig={callback.sign(keys[0], sp)}"
    assert poll(kl, url).status_code == 404


def test_suppress_workflow_headers_applies_to_the_polls(kl: InProcessKeyless) -> None:
    trigger = {
        "type": "Request",
        "kind": "Http",
        "inputs": {"method": "POST"},
        "operationOptions": "SuppressWorkflowHeadersOnResponse",
    }
    wf = deploy(kl, definition({"Response": {**RESPONSE, "runAfter": {}}}, trigger))
    r = post(kl, callback_url(kl, wf), {"order": 5})
    assert r.status_code == 202 and "x-ms-workflow-run-id" not in r.headers
    run_name = r.headers["Location"].split("/runs/", 1)[1].split("/", 1)[0]
    wait_run(kl, wf, run_name)
    answer = poll(kl, r.headers["Location"])
    assert answer.status_code == 201 and "x-ms-workflow-run-id" not in answer.headers


def test_a_parents_workflow_action_gets_the_childs_asynchronous_answer(kl: InProcessKeyless) -> None:
    """A parent's Workflow action follows the 202 + Location to the child's answer (here: waits for it)."""
    child = deploy(kl, definition({"Response": {**RESPONSE, "runAfter": {}}}))
    call_child = {
        "type": "Workflow",
        "inputs": {"host": {"workflow": {"id": child}, "triggerName": "manual"}, "body": {"order": 6}},
        "runAfter": {},
    }
    parent = deploy(kl, definition({"Call_child": call_child}))
    started = kl.run(kl.svc.workflows.start(parent, "manual", None))
    assert wait_run(kl, parent, started.run_name).status == "Succeeded"
    record = kl.run(kl.svc.workflows.history.record(parent, started.run_name, "Call_child"))
    assert (record.outputs["statusCode"], record.outputs["body"]) == (201, {"order": 6})
