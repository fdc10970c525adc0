"""The Http action inside whole definitions run by the interpreter: what later actions see of it, runAfter on
its failure, and refusals when the definition is saved."""

from __future__ import annotations

import pytest

from keyless.workflows.errors import DefinitionError
from keyless.workflows.host import HttpRequest, HttpResponse
from tests.workflows.fakes import FakeHost, compile_, run

AUDIENCE = "api://orders-api"


class ScriptedFakeHost(FakeHost):
    """The interpreter's FakeHost answering outbound calls from a script and recording token requests."""

    def __init__(self, replies: list[HttpResponse | BaseException]) -> None:
        super().__init__()
        self.replies = list(replies)
        self.tokens: list[tuple[str, str | None]] = []

    async def send(self, request: HttpRequest) -> HttpResponse:
        self.sent.append(request)
        reply = self.replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        return reply

    async def managed_identity_token(self, audience: str, identity: str | None) -> str:
        self.tokens.append((audience, identity))
        return f"token-for-{audience}"


def _json(status: int, body: bytes) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json; charset=utf-8")], body)


async def test_seed_shape_calls_the_api_as_the_workflow_identity_and_passes_the_body_on() -> None:
    host = ScriptedFakeHost([_json(200, b'{"orders":[{"id":1},{"id":2}]}')])
    result = await run(
        {
            "HTTP": {
                "type": "Http",
                "inputs": {
                    "method": "GET",
                    "uri": "https://contoso.azure-api.net/orders",
                    "queries": {"customer": "@triggerBody()?['customer']"},
                    "authentication": {"type": "ManagedServiceIdentity", "audience": AUDIENCE},
                },
            },
            "Count": {
                "type": "Compose",
                "inputs": "@length(body('HTTP')['orders'])",
                "runAfter": {"HTTP": ["Succeeded"]},
            },
        },
        body={"customer": "c 1"},
        host=host,
    )
    assert result.outcome.status == "Succeeded"
    assert host.tokens == [(AUDIENCE, None)]
    sent = host.sent[0]
    assert sent.url == "https://contoso.azure-api.net/orders?customer=c%201"
    assert sent.headers["Authorization"] == f"Bearer token-for-{AUDIENCE}"
    record = result.record("HTTP")
    assert (record.status, record.code) == ("Succeeded", "OK")
    assert record.outputs["statusCode"] == 200
    assert result.record("Count").outputs == 2


async def test_a_failed_call_runs_the_handler_which_reads_its_outputs_and_error() -> None:
    host = ScriptedFakeHost([_json(401, b'{"statusCode":401,"message":"Access denied due to invalid token."}')])
    result = await run(
        {
            "HTTP": {"type": "Http", "inputs": {"method": "GET", "uri": "https://contoso.azure-api.net/orders"}},
            "Why": {
                "type": "Compose",
                "inputs": "@{outputs('HTTP')['statusCode']} @{actions('HTTP')['error']['message']}",
                "runAfter": {"HTTP": ["Failed"]},
            },
        },
        host=host,
    )
    assert result.record("HTTP").status == "Failed" and result.record("HTTP").code == "Unauthorized"
    assert result.record("Why").outputs == (
        "401 The request GET https://contoso.azure-api.net/orders returned 401 (Unauthorized): "
        "Access denied due to invalid token."
    )


async def test_retries_are_recorded_on_the_action_and_waits_go_through_the_host() -> None:
    host = ScriptedFakeHost([HttpResponse(500, [], b""), HttpResponse(503, [], b""), _json(200, b"true")])
    policy = {"type": "fixed", "count": 3, "interval": "PT15S"}
    result = await run(
        {"HTTP": {"type": "Http", "inputs": {"method": "POST", "uri": "https://h/", "body": 1, "retryPolicy": policy}}},
        host=host,
    )
    record = result.record("HTTP")
    assert record.status == "Succeeded" and record.outputs["body"] is True
    assert [entry["code"] for entry in record.retry_history or []] == ["InternalServerError", "ServiceUnavailable"]
    assert host.slept == [15.0, 15.0]


async def test_recorded_inputs_hide_secrets() -> None:
    host = ScriptedFakeHost([HttpResponse(200, [], b"")])
    auth = {"type": "Basic", "username": "svc", "password": "@parameters('pw')"}
    workflow = compile_(
        {"HTTP": {"type": "Http", "inputs": {"method": "GET", "uri": "https://h/", "authentication": auth}}},
        parameters={"pw": {"type": "securestring", "defaultValue": "hunter2"}},
    )
    result = await run(workflow, host=host)
    assert host.sent[0].headers["Authorization"] == "Basic c3ZjOmh1bnRlcjI="
    record = result.record("HTTP")
    assert record.inputs["authentication"] == {"type": "Basic", "username": "svc", "password": "*sanitized*"}
    assert "hunter2" not in repr(record)


@pytest.mark.parametrize(
    ("inputs", "where"),
    [
        ({"method": "GET", "uri": "https://h/", "authentication": {"type": "Digest"}}, "inputs.authentication.type"),
        ({"method": "GET", "uri": "not a uri"}, "inputs.uri"),
        (
            {"method": "GET", "uri": "https://h/", "retryPolicy": {"type": "fixed", "count": 5}},
            "inputs.retryPolicy.interval",
        ),
    ],
)
def test_refused_when_saved_with_the_path(inputs: dict, where: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        compile_({"HTTP": {"type": "Http", "inputs": inputs}})
    assert caught.value.path.endswith(f"actions.HTTP.{where}")
