"""The transform policies through keyless's real gateway: snapshot, routing, subscription check, pipeline,
forward-request to a local echo backend, and the listener on the wire."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tests.gateway.policies._listener import document, listening

app = pytest.importorskip("keyless.gateway.app", reason="the gateway app (core) is not there yet")
snapshot_module = pytest.importorskip("keyless.gateway.snapshot", reason="the gateway snapshot (core) is not there yet")
state_module = pytest.importorskip("keyless.gateway.state", reason="the request state (core) is not there yet")
proxy = pytest.importorskip("keyless.gateway.proxy", reason="the backend pool (core) is not there yet")

GLOBAL = "<policies><inbound/><backend><forward-request/></backend><outbound/><on-error/></policies>"
KEY = "k-transform"


class Echo:
    """A local backend: answers any path with what it received as JSON; `/xml/...` answers XML."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.url = ""
        self._runner: Any = None

    async def start(self) -> Echo:
        from aiohttp import web

        async def handle(request: web.Request) -> web.Response:
            body = await request.read()
            seen = {
                "method": request.method,
                "path": request.path_qs,
                "headers": dict(request.headers),
                "body": body.decode("utf-8", errors="replace"),
            }
            self.received.append(seen)
            if request.path.startswith("/svc/xml"):
                xml = '<?xml version="1.0"?><order id="7"><line>a</line><line>b</line></order>'
                return web.Response(text=xml, content_type="application/xml")
            return web.json_response(seen, headers={"X-Powered-By": "echo", "X-Backend": "1"})

        application = web.Application()
        application.router.add_route("*", "/{tail:.*}", handle)
        self._runner = web.AppRunner(application)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        await self._runner.cleanup()


@pytest.fixture
async def backend() -> AsyncIterator[Echo]:
    server = await Echo().start()
    yield server
    await server.stop()


def build(backend: Echo, api_policy: str, operation_policies: dict[str, str] | None = None) -> Any:
    operations = [
        {"name": "get-item", "properties": {"method": "GET", "urlTemplate": "/items/{id}?view={view}"}},
        {"name": "post-item", "properties": {"method": "POST", "urlTemplate": "/items"}},
        {"name": "xml", "properties": {"method": "GET", "urlTemplate": "/xml"}},
        {"name": "mock", "properties": {"method": "GET", "urlTemplate": "/mock"}},
    ]
    policies: dict[tuple[str, ...], str] = {("global",): GLOBAL, ("api", "shop"): api_policy}
    for name, text in (operation_policies or {}).items():
        policies[("operation", "shop", name)] = text
    return snapshot_module.build_snapshot(
        {"name": "svc", "location": "westeurope"},
        apis=[{"name": "shop", "properties": {"path": "shop", "serviceUrl": f"{backend.url}/svc"}}],
        operations={"shop": operations},
        subscriptions=[
            {"name": "s", "properties": {"scope": "/apis", "state": "active", "primaryKey": KEY, "secondaryKey": "k2"}}
        ],
        backends=[{"name": "alt", "properties": {"url": f"{backend.url}/alt/v2", "protocol": "http"}}],
        policies=policies,
    )


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Any]:
    async with listening(tmp_path, KEY) as start:
        yield start


async def test_request_shaping_reaches_the_backend(backend: Echo, gateway: Any) -> None:
    policy = document(
        inbound=(
            '<set-header name="X-Trace-Id"><value>@(context.Request.Method)</value></set-header>'
            '<set-header name="Ocp-Apim-Subscription-Key" exists-action="delete" />'
            '<set-query-parameter name="api-version"><value>2024-01</value></set-query-parameter>'
            '<rewrite-uri template="/v2/products/{id}?mode={view}" />'
            "<set-method>POST</set-method>"
            '<set-body>@("item " + context.Request.MatchedParameters["id"])</set-body>'
        )
    )
    call = await gateway(build(backend, policy))
    status, _, body = await call("GET", "/shop/items/42?view=full&extra=1")
    assert status == 200, body
    seen = backend.received[-1]
    assert seen["method"] == "POST"
    assert seen["path"] == "/svc/v2/products/42?mode=full&extra=1&api-version=2024-01"
    assert seen["headers"]["X-Trace-Id"] == "GET"
    assert "Ocp-Apim-Subscription-Key" not in seen["headers"]
    assert seen["body"] == "item 42"


async def test_response_shaping_reaches_the_client(backend: Echo, gateway: Any) -> None:
    policy = document(
        outbound=(
            '<set-header name="X-Powered-By" exists-action="delete" />'
            '<set-header name="X-Backend" exists-action="append"><value>gateway</value></set-header>'
            '<set-status code="202" reason="Taken" />'
            '<find-and-replace from="/svc/items/1" to="/hidden" />'
        )
    )
    call = await gateway(build(backend, policy))
    status, headers, body = await call("GET", "/shop/items/1?view=x")
    assert status == 202
    assert "X-Powered-By" not in headers
    assert headers["X-Backend"] == "1,gateway"
    assert json.loads(body)["path"] == "/hidden?view=x"


async def test_set_backend_service_to_a_backend_entity(backend: Echo, gateway: Any) -> None:
    call = await gateway(build(backend, document(inbound='<set-backend-service backend-id="alt" />')))
    status, _, body = await call("POST", "/shop/items?x=1", data=b"{}")
    assert status == 200, body
    assert backend.received[-1]["path"] == "/alt/v2/items?x=1"


async def test_liquid_and_json_to_xml_on_the_request(backend: Echo, gateway: Any) -> None:
    policy = document(
        inbound=(
            '<set-body template="liquid">'
            '{"order": {"id": "{{body.id}}", "by": "{{context.Request.Method}}"}}</set-body>'
            '<json-to-xml apply="content-type-json" consider-accept-header="false" />'
        )
    )
    call = await gateway(build(backend, policy))
    status, _, body = await call("POST", "/shop/items", json={"id": 5})
    assert status == 200, body
    seen = backend.received[-1]
    assert seen["body"] == "<order>\n  <id>5</id>\n  <by>POST</by>\n</order>"
    assert seen["headers"]["Content-Type"] == "application/xml"


async def test_xml_to_json_on_the_response_when_the_client_asks_for_json(backend: Echo, gateway: Any) -> None:
    policy = document(outbound='<xml-to-json kind="direct" apply="content-type-xml" />')
    call = await gateway(build(backend, policy))
    status, headers, body = await call("GET", "/shop/xml", headers={"Accept": "application/json"})
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"version": "1.0", "order": {"@id": "7", "line": ["a", "b"]}}
    _, headers, body = await call("GET", "/shop/xml", headers={"Accept": "application/xml"})
    assert body.startswith(b"<?xml")


async def test_mock_response_never_calls_the_backend(backend: Echo, gateway: Any) -> None:
    snap = build(
        backend,
        document(),
        {"mock": document(inbound='<mock-response status-code="418" content-type="application/json" />')},
    )
    call = await gateway(snap)
    status, headers, body = await call("GET", "/shop/mock")
    assert (status, headers["Content-Type"], body) == (418, "application/json", b"")
    assert backend.received == []


async def test_a_failing_transform_runs_on_error_with_last_error(backend: Echo, gateway: Any) -> None:
    policy = document(
        inbound='<set-backend-service backend-id="@(&quot;missing&quot;)" />',
        on_error=(
            '<set-status code="502" reason="Bad backend" />'
            '<set-header name="ErrorSource"><value>@(context.LastError.Source)</value></set-header>'
            "<set-body>@(context.LastError.Message)</set-body>"
        ),
    )
    call = await gateway(build(backend, policy))
    status, headers, body = await call("GET", "/shop/items/1?view=x")
    assert status == 502
    assert headers["ErrorSource"] == "set-backend-service"
    assert body == b"Backend with id 'missing' could not be found."
    assert backend.received == []
