"""When a trigger fires (reference §2.1, §2.5): `conditions` decide whether a run starts, `splitOn` starts one run
per array item (`{"body": item}`, answered 202 at once even with a Response), a Response after the caller was
answered Fails the run, and Recurrence occurrences carry their scheduled time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from keyless.workflows.definition import compile_definition
from keyless.workflows.errors import DefinitionError
from keyless.workflows.triggers import recurrence as recurrence_module
from keyless.workflows.triggers import request as request_module
from tests.platform.inprocess import InProcessKeyless
from tests.workflows.runtime.helpers import deploy, wait_run
from tests.workflows.runtime.test_request_trigger import callback_url, definition

RESPONSE = {"type": "Response", "kind": "Http", "inputs": {"statusCode": 200, "body": "@triggerBody()"}, "runAfter": {}}
ECHO = {"type": "Compose", "inputs": "@triggerOutputs()", "runAfter": {}}


@pytest.fixture(scope="module")
def kl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessKeyless]:
    server = InProcessKeyless(tmp_path_factory.mktemp("trigger-firing")).start()
    try:
        yield server
    finally:
        server.stop()


def post(kl: InProcessKeyless, url: str, body: Any, **kwargs: Any) -> requests.Response:
    return requests.post(url, json=body, verify=kl.ca, timeout=30, **kwargs)


def runs(kl: InProcessKeyless, workflow_id: str) -> list[Any]:
    return kl.run(kl.svc.workflows.history.list_runs(workflow_id, limit=50))


def trigger(**extra: Any) -> dict[str, Any]:
    return {"type": "Request", "kind": "Http", "inputs": {"method": "POST"}, **extra}


def record(kl: InProcessKeyless, workflow_id: str, run_name: str, action: str) -> Any:
    found = kl.run(kl.svc.workflows.history.record(workflow_id, run_name, action))
    assert found is not None, f"no record of {action}"
    return found


# --- splitOn -------------------------------------------------------------------------------------------------


def test_split_on_starts_one_run_per_item_and_answers_202_at_once(kl: InProcessKeyless) -> None:
    wf = deploy(
        kl,
        definition(
            {"Echo": ECHO, "Response": {**RESPONSE, "runAfter": {"Echo": ["Succeeded"]}}},
            trigger(splitOn="@triggerBody()?['Rows']"),
        ),
    )
    r = post(
        kl,
        callback_url(kl, wf),
        {"Rows": [{"n": 1}, {"n": 2}, "three"], "Other": "lost"},
        headers={"X-Custom": "kept?"},
    )
    assert r.status_code == 202, r.text
    names = r.json()["runs"]
    assert len(names) == 3 and len(set(names)) == 3
    assert r.headers["x-ms-workflow-run-id"] == names[0]
    bodies = []
    for name in names:
        run = wait_run(kl, wf, name)
        assert run.status == "Succeeded"
        echo = record(kl, wf, name, "Echo")
        assert set(echo.outputs) == {"body"}  # headers and the properties outside the array are not kept
        bodies.append(echo.outputs["body"])
        response = record(kl, wf, name, "Response")  # nobody waits for a split run
        assert (response.status, response.code) == ("Skipped", "ActionResponseSkipped")
    assert bodies == [{"n": 1}, {"n": 2}, "three"]
    assert sorted(run.name for run in runs(kl, wf)) == sorted(names)


def test_split_on_that_is_not_an_array_is_refused_with_400(kl: InProcessKeyless) -> None:
    wf = deploy(kl, definition({"Echo": ECHO}, trigger(splitOn="@triggerBody()?['Rows']")))
    r = post(kl, callback_url(kl, wf), {"Rows": {"not": "an array"}})
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "InvalidTemplate"
    assert "'manual'" in error["message"] and "'Object'" in error["message"] and "array" in error["message"]
    r = post(kl, callback_url(kl, wf), {"Nothing": 1})
    assert r.status_code == 400 and "'Null'" in r.json()["error"]["message"]
    assert runs(kl, wf) == []


def test_split_on_item_limits(kl: InProcessKeyless) -> None:
    wf = deploy(kl, definition({"Echo": ECHO}, trigger(splitOn="@triggerBody()")))
    r = post(kl, callback_url(kl, wf), list(range(100_001)))
    assert r.status_code == 400
    assert "100001 items" in r.json()["error"]["message"] and "100000" in r.json()["error"]["message"]
    limited = trigger(splitOn="@triggerBody()", runtimeConfiguration={"concurrency": {"runs": 5}})
    wf2 = deploy(kl, definition({"Echo": ECHO}, limited))
    r = post(kl, callback_url(kl, wf2), list(range(101)))
    assert r.status_code == 400 and "at most 100 runs" in r.json()["error"]["message"]
    assert runs(kl, wf) == [] and runs(kl, wf2) == []


def test_split_on_larger_than_the_waiting_runs_is_refused_whole(kl: InProcessKeyless) -> None:
    limited = trigger(splitOn="@triggerBody()", runtimeConfiguration={"concurrency": {"runs": 1}})
    wf = deploy(kl, definition({"Echo": ECHO}, limited))
    r = post(kl, callback_url(kl, wf), list(range(13)))  # room for 12: 1 running + 11 waiting (10 + runs)
    assert r.status_code == 429
    assert runs(kl, wf) == []  # none started


def test_split_on_configuration_sets_each_runs_client_tracking_id(kl: InProcessKeyless) -> None:
    config = {"correlation": {"clientTrackingId": "@concat('order-', triggerBody()?['id'])"}}
    wf = deploy(kl, definition({"Echo": ECHO}, trigger(splitOn="@triggerBody()", splitOnConfiguration=config)))
    r = post(kl, callback_url(kl, wf), [{"id": 7}, {"id": 8}])
    assert r.status_code == 202
    names = r.json()["runs"]
    assert [wait_run(kl, wf, n).client_tracking_id for n in names] == ["order-7", "order-8"]
    assert r.headers["x-ms-client-tracking-id"] == "order-7"


# --- conditions ----------------------------------------------------------------------------------------------


def test_a_false_condition_starts_no_run_and_answers_202(kl: InProcessKeyless) -> None:
    guarded = trigger(conditions=[{"expression": "@equals(triggerBody()?['go'], true)"}])
    wf = deploy(kl, definition({"Response": RESPONSE}, guarded))
    r = post(kl, callback_url(kl, wf), {"go": False})
    assert r.status_code == 202
    assert r.content == b""
    assert "x-ms-workflow-run-id" not in r.headers and "x-ms-trigger-history-name" not in r.headers
    assert r.headers["x-ms-workflow-name"] == wf.rsplit("/", 1)[-1]
    assert runs(kl, wf) == []

    r = post(kl, callback_url(kl, wf), {"go": True})
    assert r.status_code == 200 and r.json() == {"go": True}  # a true condition: the run answers as usual
    fired = runs(kl, wf)
    assert [run.name for run in fired] == [r.headers["x-ms-workflow-run-id"]]


def test_every_condition_must_hold_and_sees_headers(kl: InProcessKeyless) -> None:
    guarded = trigger(
        conditions=[
            {"expression": "@equals(triggerOutputs()?['headers']?['X-Kind'], 'order')"},
            {"expression": "@greater(length(triggerBody()), 1)"},
        ]
    )
    wf = deploy(kl, definition({"Echo": ECHO}, guarded))
    assert post(kl, callback_url(kl, wf), [1, 2], headers={"X-Kind": "refund"}).status_code == 202
    assert post(kl, callback_url(kl, wf), [1], headers={"X-Kind": "order"}).status_code == 202
    assert runs(kl, wf) == []
    r = post(kl, callback_url(kl, wf), [1, 2], headers={"X-Kind": "order"})
    assert r.status_code == 202 and "x-ms-workflow-run-id" in r.headers
    assert wait_run(kl, wf, r.headers["x-ms-workflow-run-id"]).status == "Succeeded"


def test_conditions_with_split_on_apply_to_each_item(kl: InProcessKeyless) -> None:
    guarded = trigger(splitOn="@triggerBody()", conditions=[{"expression": "@greater(triggerBody()?['n'], 1)"}])
    wf = deploy(kl, definition({"Echo": ECHO}, guarded))
    r = post(kl, callback_url(kl, wf), [{"n": 1}, {"n": 2}, {"n": 3}])
    assert r.status_code == 202
    names = r.json()["runs"]
    assert [record(kl, wf, wait_run(kl, wf, n).name, "Echo").outputs["body"]["n"] for n in names] == [2, 3]
    r = post(kl, callback_url(kl, wf), [{"n": 0}])
    assert r.status_code == 202 and r.json() == {"runs": []} and "x-ms-workflow-run-id" not in r.headers


def test_a_condition_that_is_not_a_boolean_is_refused(kl: InProcessKeyless) -> None:
    wf = deploy(kl, definition({"Echo": ECHO}, trigger(conditions=[{"expression": "@triggerBody()?['go']"}])))
    r = post(kl, callback_url(kl, wf), {"go": "yes"})
    assert r.status_code == 400
    assert "'manual'" in r.json()["error"]["message"] and "'String'" in r.json()["error"]["message"]
    assert runs(kl, wf) == []


def test_recurrence_conditions_see_the_scheduled_occurrence(kl: InProcessKeyless) -> None:
    far = {"frequency": "Day", "interval": 1, "startTime": "2099-01-01T09:00:00Z"}  # never due during the test
    only_nine = [{"expression": "@equals(formatDateTime(trigger()['startTime'], 'HH'), '09')"}]
    triggers = {"Daily": {"type": "Recurrence", "recurrence": far, "conditions": only_nine}}
    wf = deploy(kl, {"contentVersion": "1.0.0.0", "triggers": triggers, "actions": {"Echo": ECHO}})
    rt = kl.svc.workflows
    schedule = recurrence_module.Schedule(wf, "Daily", recurrence_module.parse(far), datetime.now(UTC))
    kl.run(rt._fire_recurrence(schedule, datetime(2026, 5, 1, 10, 0, tzinfo=UTC)))
    assert runs(kl, wf) == []
    kl.run(rt._fire_recurrence(schedule, datetime(2026, 5, 1, 9, 0, tzinfo=UTC)))
    fired = runs(kl, wf)
    assert len(fired) == 1
    assert wait_run(kl, wf, fired[0].name).status == "Succeeded"


# --- what the definition may say -----------------------------------------------------------------------------


def _refusal(triggers: dict[str, Any]) -> DefinitionError:
    with pytest.raises(DefinitionError) as err:
        compile_definition({"contentVersion": "1.0.0.0", "triggers": triggers, "actions": {}})
    return err.value


def test_recurrence_cannot_split() -> None:
    rec = {"type": "Recurrence", "recurrence": {"frequency": "Hour", "interval": 1}, "splitOn": "@triggerBody()"}
    err = _refusal({"Hourly": rec})
    assert err.path.endswith("triggers.Hourly.splitOn")
    assert "splitOn" in err.message and "Recurrence" in err.message


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ({"splitOn": "Rows"}, "splitOn", "template language expression"),
        ({"splitOnConfiguration": {"correlation": {"clientTrackingId": "x"}}}, "splitOnConfiguration", "no 'splitOn'"),
        ({"splitOn": "@triggerBody()", "splitOnConfiguration": {"other": 1}}, "splitOnConfiguration", "only hold"),
        (
            {
                "splitOn": "@triggerBody()",
                "correlation": {"clientTrackingId": "a"},
                "splitOnConfiguration": {"correlation": {"clientTrackingId": "b"}},
            },
            "clientTrackingId",
            "both",
        ),
    ],
)
def test_split_on_definitions_refused(extra: dict[str, Any], field: str, words: str) -> None:
    err = _refusal({"manual": trigger(**extra)})
    assert field in err.path and words in err.message


# --- Response after the caller was answered -------------------------------------------------------------------


class Gate:
    """A backend whose answer waits until the test releases it."""

    def __init__(self) -> None:
        self.release = threading.Event()
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                gate.release.wait(30)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/slow"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_a_response_after_the_caller_timed_out_fails_the_run(
    kl: InProcessKeyless, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate()
    try:
        actions = {
            "Slow": {"type": "Http", "inputs": {"method": "GET", "uri": gate.url}, "runAfter": {}},
            "Response": {**RESPONSE, "runAfter": {"Slow": ["Succeeded"]}},
        }
        wf = deploy(kl, definition(actions))
        monkeypatch.setattr(request_module, "RESPONSE_TIMEOUT", 0.5)  # Consumption's 120 s, shortened
        r = post(kl, callback_url(kl, wf), {"a": 1})
        assert r.status_code == 504
        gate.release.set()  # only now can the run reach its Response
        run = wait_run(kl, wf, r.headers["x-ms-workflow-run-id"])
    finally:
        gate.close()
    response = record(kl, wf, run.name, "Response")
    assert (response.status, response.code) == ("Failed", "ActionResponseTimedOut")
    assert "already received a response" in response.error["message"]
    assert run.status == "Failed"


def test_a_second_response_fails_the_run(kl: InProcessKeyless) -> None:
    actions = {
        "Response": RESPONSE,
        "Response_again": {**RESPONSE, "runAfter": {"Response": ["Succeeded"]}},
    }
    wf = deploy(kl, definition(actions))
    r = post(kl, callback_url(kl, wf), {"a": 1})
    assert r.status_code == 200 and r.json() == {"a": 1}
    run = wait_run(kl, wf, r.headers["x-ms-workflow-run-id"])
    assert record(kl, wf, run.name, "Response").status == "Succeeded"
    again = record(kl, wf, run.name, "Response_again")
    assert (again.status, again.code) == ("Failed", "ActionResponseAlreadySent")
    assert run.status == "Failed"


def test_a_resubmitted_runs_response_is_still_skipped(kl: InProcessKeyless) -> None:
    wf = deploy(kl, definition({"Response": RESPONSE}))
    r = post(kl, callback_url(kl, wf), {"a": 1})
    assert r.status_code == 200
    again = kl.run(kl.svc.workflows.resubmit(wf, r.headers["x-ms-workflow-run-id"]))
    run = wait_run(kl, wf, again.run_name)
    response = record(kl, wf, run.name, "Response")
    assert (response.status, response.code) == ("Skipped", "ActionResponseSkipped")
    assert run.status == "Succeeded"


# --- a parent's Workflow action -----------------------------------------------------------------------------


def test_a_child_that_splits_answers_the_parent_202(kl: InProcessKeyless) -> None:
    child = deploy(kl, definition({"Response": RESPONSE}, trigger(splitOn="@triggerBody()")))
    call = {
        "type": "Workflow",
        "inputs": {"host": {"workflow": {"id": child}, "triggerName": "manual"}, "body": [1, 2]},
        "runAfter": {},
    }
    parent = deploy(kl, definition({"Call_child": call}))
    r = post(kl, callback_url(kl, parent), {})
    assert r.status_code == 202
    run = wait_run(kl, parent, r.headers["x-ms-workflow-run-id"])
    assert run.status == "Succeeded"
    assert record(kl, parent, run.name, "Call_child").outputs["statusCode"] == 202
    child_runs = runs(kl, child)
    assert len(child_runs) == 2
    assert sorted(
        record(kl, child, wait_run(kl, child, c.name).name, "Response").inputs["body"] for c in child_runs
    ) == [
        1,
        2,
    ]


def test_a_child_whose_condition_is_false_answers_the_parent_202(kl: InProcessKeyless) -> None:
    guarded = trigger(conditions=[{"expression": "@equals(triggerBody()?['go'], true)"}])
    child = deploy(kl, definition({"Response": RESPONSE}, guarded))
    call = {
        "type": "Workflow",
        "inputs": {"host": {"workflow": {"id": child}, "triggerName": "manual"}, "body": {"go": False}},
        "runAfter": {},
    }
    parent = deploy(kl, definition({"Call_child": call}))
    r = post(kl, callback_url(kl, parent), {})
    run = wait_run(kl, parent, r.headers["x-ms-workflow-run-id"])
    assert run.status == "Succeeded"
    assert record(kl, parent, run.name, "Call_child").outputs["statusCode"] == 202
    assert runs(kl, child) == []
