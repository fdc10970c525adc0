"""The Http action: request assembly, outputs, status codes, failures and definition checks."""

from __future__ import annotations

import base64
import gzip
import json
import zlib

import pytest

from keyless.workflows.errors import DefinitionError
from tests.workflows.actions._http_fakes import ScriptedHost, compile_http, json_response, response, run_http


async def test_json_response_succeeds_with_parsed_body_and_dotnet_code() -> None:
    host = ScriptedHost([json_response(200, b'{"id":7,"tags":["a"]}', ("x-ms-request-id", "r1"))])
    outcome = await run_http({"inputs": {"method": "get", "uri": "https://api.example.com/items/7"}}, host)
    assert (outcome.status, outcome.code) == ("Succeeded", "OK")
    assert outcome.outputs == {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json; charset=utf-8", "x-ms-request-id": "r1"},
        "body": {"id": 7, "tags": ["a"]},
    }
    assert outcome.error is None and outcome.retry_history is None
    assert host.requests[0].method == "GET" and host.requests[0].body is None


async def test_created_and_no_content_codes() -> None:
    host = ScriptedHost([response(201, b"made", [("Content-Type", "text/plain")]), response(204)])
    created = await run_http({"inputs": {"method": "POST", "uri": "https://h/x", "body": {"a": 1}}}, host)
    empty = await run_http({"inputs": {"method": "DELETE", "uri": "https://h/x"}}, host)
    assert (created.code, created.outputs["body"]) == ("Created", "made")
    assert (empty.code, empty.outputs) == ("NoContent", {"statusCode": 204, "headers": {}})


async def test_binary_body_becomes_a_content_envelope() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\xff"
    host = ScriptedHost([response(200, png, [("Content-Type", "image/png")])])
    outcome = await run_http({"inputs": {"method": "GET", "uri": "https://h/logo.png"}}, host)
    assert outcome.outputs["body"] == {"$content-type": "image/png", "$content": base64.b64encode(png).decode()}


async def test_request_body_headers_queries_and_cookie() -> None:
    host = ScriptedHost([response(200)])
    action = {
        "inputs": {
            "method": "POST",
            "uri": "https://h/orders?existing=1",
            "headers": {
                "X-Trace": "@parameters('trace')",
                "Content-Length": "999",
                "Accept-Language": "fr",
                "Host": "evil.example",
                "Accept": "application/json",
            },
            "queries": {"api-version": "2018-01-01", "q": "a b&c"},
            "body": {"order": "@parameters('order')"},
            "cookie": "session=abc",
        }
    }
    await run_http(action, host, {"parameters": {"trace": "t-1", "order": 42}})
    sent = host.requests[0]
    assert sent.url == "https://h/orders?existing=1&api-version=2018-01-01&q=a%20b%26c"
    assert json.loads(sent.body or b"") == {"order": 42}
    assert sent.headers["Content-Type"] == "application/json; charset=utf-8"
    assert sent.headers["X-Trace"] == "t-1" and sent.headers["Accept"] == "application/json"
    assert sent.headers["Cookie"] == "session=abc"
    lowered = {k.lower() for k in sent.headers}
    assert not lowered & {"content-length", "accept-language", "host"}


async def test_string_body_goes_as_text_unless_a_content_type_is_given() -> None:
    host = ScriptedHost([response(200), response(200)])
    await run_http({"inputs": {"method": "POST", "uri": "https://h/", "body": "hello"}}, host)
    xml = {"method": "POST", "uri": "https://h/", "body": "<a/>", "headers": {"Content-Type": "application/xml"}}
    await run_http({"inputs": xml}, host)
    assert (host.requests[0].body, host.requests[0].headers["Content-Type"]) == (b"hello", "text/plain; charset=utf-8")
    assert (host.requests[1].body, host.requests[1].headers["Content-Type"]) == (b"<a/>", "application/xml")


async def test_workflow_headers_are_added_unless_suppressed() -> None:
    host = ScriptedHost([response(200), response(200)])
    await run_http({"inputs": {"method": "GET", "uri": "https://h/"}}, host)
    await run_http(
        {"inputs": {"method": "GET", "uri": "https://h/"}, "operationOptions": "SuppressWorkflowHeaders"}, host
    )
    plain, suppressed = (req.headers for req in host.requests)
    assert plain["x-ms-workflow-operation-name"] == "HTTP" and plain["x-ms-client-request-id"]
    assert not [name for name in suppressed if name.lower().startswith("x-ms-")]


async def test_non_2xx_fails_keeping_outputs() -> None:
    host = ScriptedHost([json_response(404, b'{"error":{"code":"NotFound","message":"No order 9."}}')])
    outcome = await run_http({"inputs": {"method": "GET", "uri": "https://h/orders/9?sig=secret"}}, host)
    assert (outcome.status, outcome.code) == ("Failed", "NotFound")
    assert outcome.outputs["statusCode"] == 404 and outcome.outputs["body"]["error"]["code"] == "NotFound"
    assert outcome.error == {
        "code": "NotFound",
        "message": "The request GET https://h/orders/9 returned 404 (NotFound): No order 9.",
    }


async def test_gateway_401_message_reaches_the_error() -> None:
    body = b'{ "statusCode": 401, "message": "Invalid JWT.\\nAudience mismatch." }'
    host = ScriptedHost([json_response(401, body)])
    outcome = await run_http({"inputs": {"method": "GET", "uri": "https://contoso.azure-api.net/orders"}}, host)
    assert outcome.code == "Unauthorized"
    assert outcome.error is not None
    assert outcome.error["message"].endswith("returned 401 (Unauthorized): Invalid JWT. Audience mismatch.")
    assert "\n" not in outcome.error["message"]


async def test_connection_failure_fails_without_outputs_after_retries() -> None:
    host = ScriptedHost([ConnectionRefusedError("Connection refused")] * 2)
    action = {"method": "GET", "uri": "https://down/", "retryPolicy": {"type": "fixed", "count": 1, "interval": "PT5S"}}
    outcome = await run_http({"inputs": action}, host)
    assert (outcome.status, outcome.code, outcome.has_outputs) == ("Failed", "BadRequest", False)
    assert outcome.error is not None
    assert "Connection refused" in outcome.error["message"] and "after 1 retry" in outcome.error["message"]
    assert len(host.requests) == 2 and host.sleeps == [5.0]


async def test_invalid_value_from_an_expression_fails_the_action() -> None:
    host = ScriptedHost()
    action = {"inputs": {"method": "@parameters('m')", "uri": "https://h/"}}
    outcome = await run_http(action, host, {"parameters": {"m": "FETCH"}})
    assert (outcome.status, outcome.code) == ("Failed", "BadRequest")
    assert outcome.error is not None and "FETCH" in outcome.error["message"]
    assert host.requests == []


@pytest.mark.parametrize(
    ("action", "path", "fragment"),
    [
        ({"inputs": {"uri": "https://h/"}}, "inputs.method", "'method'"),
        ({"inputs": {"method": "GET"}}, "inputs.uri", "'uri'"),
        ({"inputs": {"method": "FETCH", "uri": "https://h/"}}, "inputs.method", "FETCH"),
        ({"inputs": {"method": "GET", "uri": "/relative"}}, "inputs.uri", "absolute"),
        ({"inputs": {"method": "GET", "uri": "ftp://h/x"}}, "inputs.uri", "absolute"),
        ({"inputs": {"method": "GET", "uri": "https://h/", "proxy": "x"}}, "inputs.proxy", "'proxy'"),
        (
            {"inputs": {"method": "GET", "uri": "https://h/"}, "operationOptions": "Sequential"},
            "operationOptions",
            "Sequential",
        ),
        ({"inputs": {"method": "GET", "uri": "https://h/"}, "limit": {"timeout": "ten"}}, "limit.timeout", "ten"),
        ({"inputs": {"method": "GET", "uri": "https://h/"}, "limit": {"count": 3}}, "limit.count", "count"),
    ],
)
def test_definition_checks(action: dict, path: str, fragment: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        compile_http(action)
    assert caught.value.path == f"properties.definition.actions.HTTP.{path}"
    assert fragment in caught.value.detail


def test_expressions_are_checked_only_when_they_run() -> None:
    compile_http({"inputs": {"method": "@parameters('m')", "uri": "@parameters('u')"}})


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("deflate", lambda b: zlib.compress(b)[2:-4])],
)
async def test_compressed_responses_are_decompressed(encoding: str, compress: object) -> None:
    packed = compress(b'{"ok":true}')  # type: ignore[operator]
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Encoding", encoding),
        ("Content-Length", str(len(packed))),
    ]
    host = ScriptedHost([response(200, packed, headers)])
    outcome = await run_http({"inputs": {"method": "GET", "uri": "https://h/"}}, host)
    assert outcome.outputs == {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": {"ok": True}}


async def test_an_unknown_encoding_is_kept_as_received() -> None:
    headers = [("Content-Type", "application/octet-stream"), ("Content-Encoding", "br")]
    host = ScriptedHost([response(200, b"\x0b\x01", headers)])
    outcome = await run_http({"inputs": {"method": "GET", "uri": "https://h/"}}, host)
    assert outcome.outputs["headers"]["Content-Encoding"] == "br"
    assert outcome.outputs["body"] == {"$content-type": "application/octet-stream", "$content": "CwE="}
