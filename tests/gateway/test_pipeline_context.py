"""The `context` object model as real policy expressions see it (compiled by keyless.csharp)."""

from __future__ import annotations

from typing import Any

import pytest

from keyless.csharp import compile_expression
from keyless.gateway.context import IResponse
from keyless.gateway.http_types import GatewayRequest, GatewayResponse, Headers, Url
from keyless.gateway.snapshot import build_snapshot
from keyless.gateway.state import GatewayServices, RequestState

SNAP = build_snapshot(
    {"name": "contoso", "location": "West Europe"},
    apis=[
        {
            "name": "echo",
            "properties": {
                "displayName": "Echo API",
                "path": "echo",
                "serviceUrl": "https://backend.example/base",
                "subscriptionKeyParameterNames": {"header": "api-key", "query": "key"},
            },
        }
    ],
    operations={"echo": [{"name": "get", "properties": {"method": "GET", "urlTemplate": "/items/{id}"}}]},
    products=[{"name": "starter", "properties": {"displayName": "Starter", "state": "published"}}],
    product_apis={"starter": ["echo"]},
    subscriptions=[
        {"name": "s1", "properties": {"displayName": "Sub One", "scope": "/products/starter", "state": "active",
                                      "primaryKey": "pk", "secondaryKey": "sk"}}
    ],
)  # fmt: skip


def make_state(body: bytes = b'{"a": {"b": 5}}') -> RequestState:
    original = Url.parse("https://contoso.azure-api.net/echo/items/7?q=1&q=2&x=")
    backend = Url.parse("https://backend.example/base/items/7?q=1&q=2&x=")
    headers = Headers([("X-Multi", "a"), ("x-multi", "b"), ("Content-Type", "application/json")])
    state = RequestState(GatewayRequest("GET", backend, original, headers, body, "10.0.0.9"), GatewayServices(), SNAP)
    state.api = SNAP.apis["echo"]
    state.operation = SNAP.operations[("echo", "get")]
    state.product = SNAP.products["starter"]
    state.subscription = SNAP.subscriptions.records["s1"]
    state.subscription_key = "sk"
    state.matched_parameters = {"id": "7"}
    state.variables.update({"name": "keyless", "count": 3})
    return state


def ev(text: str, state: RequestState | None = None) -> Any:
    return compile_expression(text).evaluate((state or make_state()).context)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('@(context.Request.Headers.GetValueOrDefault("X-MULTI", ""))', "a,b"),
        ('@(context.Request.Headers.GetValueOrDefault("missing", "dflt"))', "dflt"),
        ('@(context.Request.Headers.ContainsKey("content-type"))', True),
        ("@(context.Request.Method)", "GET"),
        ("@(context.Request.IpAddress)", "10.0.0.9"),
        ('@(context.Request.MatchedParameters["id"])', "7"),
        ("@(context.Request.Url.Host)", "backend.example"),
        ("@(context.Request.Url.Path)", "/base/items/7"),
        ("@(context.Request.Url.Port)", 443),
        ("@(context.Request.Url.Scheme)", "https"),
        ('@(context.Request.Url.Query.GetValueOrDefault("q", ""))', "1,2"),
        ("@(context.Request.OriginalUrl.Host)", "contoso.azure-api.net"),
        ("@(context.Request.OriginalUrl.ToString())", "https://contoso.azure-api.net/echo/items/7?q=1&q=2&x="),
        ("@(context.Request.Url.QueryString)", "?q=1&q=2&x="),
        ('@(context.Variables.GetValueOrDefault<string>("name", "x"))', "keyless"),
        ('@(context.Variables.GetValueOrDefault<string>("nope", "x"))', "x"),
        ('@(context.Variables.ContainsKey("count"))', True),
        ('@((int)context.Variables["count"] + 1)', 4),
        ("@(context.Api.Name)", "Echo API"),
        ("@(context.Api.Id)", "echo"),
        ("@(context.Api.Path)", "echo"),
        ("@(context.Api.SubscriptionKeyParameterNames.Header)", "api-key"),
        ("@(context.Api.ServiceUrl.Host)", "backend.example"),
        ("@(context.Operation.UrlTemplate)", "/items/{id}"),
        ("@(context.Operation.Method)", "GET"),
        ("@(context.Product.Name)", "Starter"),
        ("@(context.Subscription.Name)", "Sub One"),
        ("@(context.Subscription.Key)", "sk"),
        ("@(context.Subscription.PrimaryKey)", "pk"),
        ("@(context.Deployment.Region)", "West Europe"),
        ("@(context.Deployment.ServiceName)", "contoso"),
        ("@(context.LastError == null)", True),
        ("@(context.User == null)", True),
        ("@(context.Tracing)", False),
        ("@(context.RequestId.ToString().Length)", 36),
        ("@(context.Timestamp.Year >= 2024)", True),
        ("@(context.Elapsed.Ticks >= 0)", True),
        ("@(context.Response.StatusCode)", 200),
    ],
)
def test_members(expression: str, expected: Any) -> None:
    assert ev(expression) == expected


def test_body_as_preserve_content_and_consumption() -> None:
    state = make_state()
    assert ev("@(context.Request.Body.As<string>(preserveContent: true))", state) == '{"a": {"b": 5}}'
    assert ev('@(context.Request.Body.As<JObject>(preserveContent: true)["a"]["b"].ToString())', state) == "5"
    assert ev("@(context.Request.Body.As<string>())", state) == '{"a": {"b": 5}}'
    assert state.request.body == b""  # consumed: the backend would get no body
    assert ev("@(context.Request.Body.As<string>())", state) == ""


def test_response_cast_from_a_variable() -> None:
    state = make_state()
    stored = GatewayResponse(201, Headers([("Location", "/x")]), b'{"ok": true}', "Created")
    state.variables["r"] = IResponse(stored)
    assert ev('@(((IResponse)context.Variables["r"]).StatusCode)', state) == 201
    assert ev('@(((IResponse)context.Variables["r"]).Headers.GetValueOrDefault("location", ""))', state) == "/x"
    assert ev('@(((IResponse)context.Variables["r"]).Body.As<JObject>()["ok"].ToString())', state) == "True"


def test_missing_variable_is_a_runtime_error() -> None:
    from keyless.csharp import ExpressionRuntimeError

    with pytest.raises(ExpressionRuntimeError) as err:
        ev('@(context.Variables["nope"])')
    assert "KeyNotFoundException" in str(err.value)
