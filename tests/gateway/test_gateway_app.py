"""End to end: a gateway listener over HTTP in front of a local echo backend, configured by a snapshot."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict

from keyless.gateway.app import Gateways
from keyless.gateway.proxy import BackendPool
from keyless.gateway.snapshot import build_snapshot
from keyless.gateway.state import GatewayServices

GLOBAL = "<policies><inbound/><backend><forward-request/></backend><outbound/><on-error/></policies>"
NOT_FOUND = b'{ "statusCode": 404, "message": "Resource not found" }'
MISSING = (
    b'{ "statusCode": 401, "message": "Access denied due to missing subscription key. '
    b'Make sure to include subscription key when making requests to an API." }'
)
INVALID = (
    b'{ "statusCode": 401, "message": "Access denied due to invalid subscription key. '
    b'Make sure to provide a valid key for an active subscription." }'
)
ACTIVITY_500 = re.compile(
    rb'^\{ "statusCode": 500, "message": "Internal server error", "activityId": "[0-9a-f-]{36}" \}$'
)


BIG = bytes(range(256)) * 4096


class Echo:
    """A backend that answers with what it received (and counts calls)."""

    def __init__(self) -> None:
        self.calls = 0
        self.url = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.calls += 1
        if request.path.endswith("/big"):  # 1 MiB with a Content-Length
            return web.Response(body=BIG, headers={"X-Backend": "big"})
        if request.path.endswith("/chunked"):  # no Content-Length: chunked on the wire
            stream = web.StreamResponse(headers={"X-Backend": "chunked"})
            await stream.prepare(request)
            for i in range(0, len(BIG), 100_000):
                await stream.write(BIG[i : i + 100_000])
            await stream.write_eof()
            return stream
        body = await request.read()
        doc = {
            "method": request.method,
            "path": request.raw_path.split("?", 1)[0],
            "query": request.query_string,
            "headers": [[k, v] for k, v in request.headers.items()],
            "body": body.decode(),
        }
        return web.json_response(doc, headers={"X-Backend": "echo"})


@pytest.fixture
async def echo() -> AsyncIterator[Echo]:
    backend = Echo()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", backend.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    backend.url = f"http://127.0.0.1:{port}"
    yield backend
    await runner.cleanup()


def sub(name: str, scope: str, key: str, *, state: str = "active", tracing: bool = False) -> dict[str, Any]:
    props = {"scope": scope, "state": state, "primaryKey": key, "secondaryKey": key + "-2", "allowTracing": tracing}
    return {"name": name, "properties": {"displayName": name, **props}}


def op(name: str, method: str, template: str) -> dict[str, Any]:
    return {"name": name, "properties": {"displayName": name, "method": method, "urlTemplate": template}}


def config(backend: str, policies: dict[tuple[str, ...], str] | None = None, **extra: Any) -> Any:
    """The test service: APIs orders (product starter), renamed (api-key), free (no key), open (open product)."""
    apis = [
        {"name": "orders", "properties": {"path": "orders", "serviceUrl": backend + "/base/"}},
        {
            "name": "renamed",
            "properties": {
                "path": "renamed",
                "serviceUrl": backend,
                "subscriptionKeyParameterNames": {"header": "api-key", "query": "key"},
            },
        },
        {"name": "free", "properties": {"path": "free/v1", "serviceUrl": backend, "subscriptionRequired": False}},
        {"name": "open", "properties": {"path": "open", "serviceUrl": backend}},
    ]
    operations = {
        "orders": [
            op("get-item", "GET", "/items/{id}"),
            op("list-items", "GET", "/items"),
            op("special", "GET", "/items/special"),
            op("create", "POST", "/items"),
            op("search", "GET", "/search?q={term}"),
            op("files", "GET", "/files/*"),
        ],
        "renamed": [op("get", "GET", "/")],
        "free": [op("get", "GET", "/x")],
        "open": [op("get", "GET", "/x")],
    }
    products = [
        {"name": "starter", "properties": {"displayName": "Starter", "state": "published"}},
        {"name": "opened", "properties": {"state": "published", "subscriptionRequired": False}},
    ]
    subs = [
        sub("all", "/apis", "k-all"),
        sub("orders-only", "/apis/orders", "k-orders"),
        sub("starter-sub", "/products/starter", "k-starter", tracing=True),
        sub("suspended", "/apis", "k-suspended", state="suspended"),
        sub("master", "/subscriptions/s/resourceGroups/g/providers/Microsoft.ApiManagement/service/svc", "k-master"),
    ]
    return build_snapshot(
        {"name": "svc", "location": "westeurope"},
        apis=apis,
        operations=operations,
        products=products,
        product_apis={"starter": ["orders", "renamed"], "opened": ["open"]},
        subscriptions=subs,
        policies={("global",): GLOBAL, **(policies or {})},
        **extra,
    )


class Gateway:
    def __init__(self, gateways: Gateways, base: str, session: aiohttp.ClientSession) -> None:
        self.gateways = gateways
        self.base = base
        self.session = session

    async def call(
        self, method: str, path: str, *, key: str | None = None, headers: dict[str, str] | None = None, **kw: Any
    ) -> tuple[int, CIMultiDict[str], bytes, Any]:
        h = dict(headers or {})
        if key is not None:
            h["Ocp-Apim-Subscription-Key"] = key
        async with self.session.request(method, self.base + path, headers=h, **kw) as r:
            body = await r.read()
            doc = None
            if r.headers.get("X-Backend") == "echo":
                doc = json.loads(body)
            return r.status, CIMultiDict(r.headers), body, doc


@pytest.fixture
async def gateway(echo: Echo, tmp_path: Any) -> AsyncIterator[Any]:
    gateways = Gateways(GatewayServices(backends=BackendPool()), ports_file=tmp_path / "ports.json")
    started: list[Gateway] = []

    async def start(snapshot: Any) -> Gateway:
        port = await gateways.start("svc", snapshot)
        session = aiohttp.ClientSession()
        g = Gateway(gateways, f"http://127.0.0.1:{port}", session)
        started.append(g)
        return g

    yield start
    for g in started:
        await g.session.close()
    await gateways.close()


def header_values(doc: dict[str, Any], name: str) -> list[str]:
    """All values the backend got for `name` (repeated headers and comma-joined values alike)."""
    return [part.strip() for k, v in doc["headers"] if k.lower() == name.lower() for part in v.split(",")]


# ----------------------------------------------------------------------------------------------- routing


async def test_request_reaches_backend_with_path_after_api_path_and_full_query(echo: Echo, gateway: Any) -> None:
    g = await gateway(config(echo.url))
    status, headers, _, doc = await g.call("GET", "/orders/items/42?x=1&subscription-key=k-all")
    assert status == 200
    assert doc["path"] == "/base/items/42"
    assert "x=1" in doc["query"] and "subscription-key=k-all" in doc["query"]
    assert headers["X-Backend"] == "echo"


async def test_key_header_is_forwarded_and_x_forwarded_for_added(echo: Echo, gateway: Any) -> None:
    g = await gateway(config(echo.url))
    _, _, _, doc = await g.call("GET", "/orders/items", key="k-all")
    assert header_values(doc, "Ocp-Apim-Subscription-Key") == ["k-all"]
    assert header_values(doc, "X-Forwarded-For") == ["127.0.0.1"]


async def test_unknown_path_and_wrong_method_are_404_resource_not_found(echo: Echo, gateway: Any) -> None:
    g = await gateway(config(echo.url))
    for method, path in (("GET", "/nothing"), ("DELETE", "/orders/items"), ("GET", "/orders/nope/1/2")):
        status, headers, body, _ = await g.call(method, path, key="k-all")
        assert (status, body) == (404, NOT_FOUND), (method, path)
        assert headers["Content-Type"] == "application/json"
    assert echo.calls == 0


async def test_literal_template_beats_parameter_and_query_template_binds(echo: Echo, gateway: Any) -> None:
    policy = (
        "<policies><inbound><base/><set-header name='X-Op' exists-action='override'>"
        '<value>@(context.Operation.Id + ":" + context.Request.MatchedParameters.GetValueOrDefault("id", "-")'
        ' + ":" + context.Request.MatchedParameters.GetValueOrDefault("term", "-"))</value>'
        "</set-header></inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error>"
        "</policies>"
    )
    g = await gateway(config(echo.url, {("api", "orders"): policy}))
    _, _, _, doc = await g.call("GET", "/orders/items/special", key="k-all")
    assert header_values(doc, "X-Op") == ["special:-:-"]
    _, _, _, doc = await g.call("GET", "/orders/items/7", key="k-all")
    assert header_values(doc, "X-Op") == ["get-item:7:-"]
    _, _, _, doc = await g.call("GET", "/orders/search?q=shoes", key="k-all")
    assert header_values(doc, "X-Op") == ["search:-:shoes"]
    status, _, _, _ = await g.call("GET", "/orders/search", key="k-all")
    assert status == 404
    _, _, _, doc = await g.call("GET", "/orders/files/a/b/c.txt", key="k-all")
    assert header_values(doc, "X-Op") == ["files:-:-"]
    assert doc["path"] == "/base/files/a/b/c.txt"


async def test_api_with_empty_path_and_longest_prefix_wins(echo: Echo, gateway: Any) -> None:
    snapshot = build_snapshot(
        {"name": "svc"},
        apis=[
            {
                "name": "root",
                "properties": {"path": "", "serviceUrl": echo.url + "/root", "subscriptionRequired": False},
            },
            {
                "name": "deep",
                "properties": {"path": "a/b", "serviceUrl": echo.url + "/deep", "subscriptionRequired": False},
            },
        ],
        operations={"root": [op("any", "GET", "/*")], "deep": [op("any", "GET", "/*")]},
    )
    g = await gateway(snapshot)
    _, _, _, doc = await g.call("GET", "/a/b/c")
    assert doc["path"] == "/deep/c"
    _, _, _, doc = await g.call("GET", "/a/x")
    assert doc["path"] == "/root/a/x"


# ----------------------------------------------------------------------------------------------- subscriptions


async def test_missing_key_is_401_with_www_authenticate(echo: Echo, gateway: Any) -> None:
    g = await gateway(config(echo.url))
    status, headers, body, _ = await g.call("GET", "/orders/items")
    assert (status, body) == (401, MISSING)
    async with g.session.get(g.base + "/orders/items") as r:
        assert r.reason == "Access Denied"  # APIM's reason phrase for the 401
    realm = f"{g.base}/orders"
    assert headers["WWW-Authenticate"] == (
        f'AzureApiManagementKey realm="{realm}",name="Ocp-Apim-Subscription-Key",type="header"'
    )
    assert echo.calls == 0


@pytest.mark.parametrize(
    ("path", "key", "expected"),
    [
        ("/orders/items", "k-all", 200),  # all APIs
        ("/orders/items", "k-all-2", 200),  # secondary key
        ("/orders/items", "k-master", 200),  # service scope (all access)
        ("/orders/items", "k-orders", 200),  # this API
        ("/open/x", "k-orders", 401),  # another API
        ("/orders/items", "k-starter", 200),  # a product containing the API
        ("/open/x", "k-starter", 401),  # a product not containing it
        ("/orders/items", "k-suspended", 401),  # only active subscriptions
        ("/orders/items", "nope", 401),
        ("/free/v1/x", "nope", 401),  # a wrong key is refused even where no key is required
        ("/free/v1/x", None, 200),  # subscriptionRequired false
        ("/open/x", None, 200),  # an open product
    ],
)
async def test_subscription_scopes_and_states(
    echo: Echo, gateway: Any, path: str, key: str | None, expected: int
) -> None:
    g = await gateway(config(echo.url))
    status, _, body, _ = await g.call("GET", path, key=key)
    assert status == expected
    if expected == 401:
        assert body == (INVALID if key else MISSING)


async def test_query_key_is_read_only_without_the_header(echo: Echo, gateway: Any) -> None:
    g = await gateway(config(echo.url))
    status, _, _, _ = await g.call("GET", "/orders/items?subscription-key=k-all")
    assert status == 200
    status, _, body, _ = await g.call("GET", "/orders/items?subscription-key=k-all", key="wrong")
    assert (status, body) == (401, INVALID)


async def test_renamed_key_names(echo: Echo, gateway: Any) -> None:
    g = await gateway(config(echo.url))
    status, headers, body, _ = await g.call("GET", "/renamed/", key="k-all")  # the default header is not read
    assert (status, body) == (401, MISSING)
    assert 'name="api-key"' in headers["WWW-Authenticate"]
    status, _, _, doc = await g.call("GET", "/renamed/", headers={"api-key": "k-starter"})
    assert status == 200
    assert header_values(doc, "api-key") == ["k-starter"]
    status, _, _, doc = await g.call("GET", "/renamed/?key=k-all")
    assert status == 200 and doc["query"] == "key=k-all"


# ----------------------------------------------------------------------------------------------- policies


def mark(value: str) -> str:
    return f'<set-header name="X-Order" exists-action="append"><value>{value}</value></set-header>'


def document(inbound: str, on_error: str = "<base/>") -> str:
    return (
        f"<policies><inbound>{inbound}</inbound><backend><base/></backend><outbound><base/></outbound>"
        f"<on-error>{on_error}</on-error></policies>"
    )


SPLICED = {
    ("global",): f"<policies><inbound>{mark('global')}</inbound><backend><forward-request/></backend></policies>",
    ("product", "starter"): document(mark("product") + "<base/>"),
    ("api", "orders"): document(mark("api-1") + "<base/>" + mark("api-2")),
    ("operation", "orders", "list-items"): document("<base/>" + mark("operation")),
}


async def test_base_splices_scopes_in_order_and_product_only_in_product_context(echo: Echo, gateway: Any) -> None:
    g = await gateway(config(echo.url, SPLICED))
    _, _, _, doc = await g.call("GET", "/orders/items", key="k-starter")
    assert header_values(doc, "X-Order") == ["api-1", "product", "global", "api-2", "operation"]
    _, _, _, doc = await g.call("GET", "/orders/items", key="k-orders")  # API-scoped key: no product policy
    assert header_values(doc, "X-Order") == ["api-1", "global", "api-2", "operation"]
    _, _, _, doc = await g.call("GET", "/orders/items/1", key="k-all")  # no operation policy
    assert header_values(doc, "X-Order") == ["api-1", "global", "api-2"]


async def test_section_without_base_drops_broader_scopes(echo: Echo, gateway: Any) -> None:
    policies = dict(SPLICED)
    policies[("operation", "orders", "list-items")] = document(mark("operation-only"))
    g = await gateway(config(echo.url, policies))
    _, _, _, doc = await g.call("GET", "/orders/items", key="k-starter")
    assert header_values(doc, "X-Order") == ["operation-only"]


async def test_return_response_ends_pipeline_without_calling_backend(echo: Echo, gateway: Any) -> None:
    inbound = (
        '<set-variable name="v" value="x"/>'
        '<choose><when condition="false"><set-variable name="v" value="no"/></when>'
        '<otherwise><return-response><set-status code="418" reason="Teapot"/>'
        '<set-header name="X-From" exists-action="override"><value>@(context.Variables["v"])</value>'
        "</set-header></return-response></otherwise></choose>" + mark("never")
    )
    g = await gateway(config(echo.url, {("api", "orders"): document(inbound)}))
    status, headers, body, _ = await g.call("GET", "/orders/items", key="k-all")
    assert (status, headers["X-From"], body) == (418, "x", b"")
    assert echo.calls == 0


ON_ERROR = (
    '<set-header name="X-Error" exists-action="override"><value>@{'
    "var e = context.LastError;"
    'return e.Source + "|" + e.Reason + "|" + e.Scope + "|" + e.Section + "|" + e.Path + "|" + e.PolicyId + "|"'
    " + context.Response.StatusCode;"
    "}</value></set-header>"
)


async def test_on_error_sees_last_error_of_a_failed_expression(echo: Echo, gateway: Any) -> None:
    inbound = (
        '<base/><choose><when condition="true">'
        '<set-variable id="boom" name="n" value="@(context.Variables[&quot;missing&quot;])"/></when></choose>'
    )
    g = await gateway(config(echo.url, {("api", "orders"): document(inbound, ON_ERROR)}))
    status, headers, body, _ = await g.call("GET", "/orders/items", key="k-all")
    assert status == 500
    assert ACTIVITY_500.match(body)
    assert headers["X-Error"] == (
        "set-variable|ExpressionValueEvaluationFailure|api|inbound|choose[1]\\when[1]\\set-variable[1]|boom|500"
    )
    assert echo.calls == 0


async def test_built_in_errors_reach_api_on_error(echo: Echo, gateway: Any) -> None:
    g = await gateway(config(echo.url, {("api", "orders"): document("<base/>", ON_ERROR)}))
    status, headers, body, _ = await g.call("PATCH", "/orders/items", key="k-all")
    assert (status, body) == (404, NOT_FOUND)
    assert headers["X-Error"].startswith("configuration|OperationNotFound|")
    status, headers, body, _ = await g.call("GET", "/orders/items")
    assert (status, body) == (401, MISSING)
    assert headers["X-Error"].startswith("authorization|SubscriptionKeyNotFound|")
    status, headers, _, _ = await g.call("GET", "/orders/items", key="bad")
    assert headers["X-Error"].startswith("authorization|SubscriptionKeyInvalid|")


async def test_a_header_value_with_a_line_break_is_not_sent(echo: Echo, gateway: Any) -> None:
    inbound = (
        '<return-response><set-header name="X-Split" exists-action="override">'
        '<value>@("a\\r\\nX-Injected: 1")</value></set-header>'
        '<set-header name="X-Fine" exists-action="override"><value>ok</value></set-header></return-response>'
    )
    g = await gateway(config(echo.url, {("api", "orders"): document(inbound)}))
    status, headers, _, _ = await g.call("GET", "/orders/items", key="k-all")
    assert status == 200 and headers["X-Fine"] == "ok"
    assert "X-Injected" not in headers and "X-Split" not in headers


async def test_unreachable_backend_is_500_with_activity_id(echo: Echo, gateway: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    g = await gateway(config(f"http://127.0.0.1:{closed}", {("api", "orders"): document("<base/>", ON_ERROR)}))
    status, headers, body, _ = await g.call("GET", "/orders/items", key="k-all")
    assert status == 500 and ACTIVITY_500.match(body)
    assert headers["X-Error"].startswith("forward-request|BackendConnectionFailure|global|backend|forward-request[1]|")


async def test_swap_serves_the_new_snapshot(echo: Echo, gateway: Any) -> None:
    g = await gateway(config(echo.url))
    assert (await g.call("GET", "/orders/items", key="k-all"))[0] == 200
    g.gateways.swap("svc", build_snapshot({"name": "svc"}))  # no APIs any more
    assert (await g.call("GET", "/orders/items", key="k-all"))[0] == 404


async def test_port_is_reused_after_restart(echo: Echo, tmp_path: Any) -> None:
    ports = tmp_path / "ports.json"
    first = Gateways(GatewayServices(backends=BackendPool()), ports_file=ports)
    port = await first.start("svc", config(echo.url))
    await first.close()
    second = Gateways(GatewayServices(backends=BackendPool()), ports_file=ports)
    try:
        assert await second.start("svc", config(echo.url)) == port
    finally:
        await second.close()


@pytest.mark.parametrize(
    "outbound", ["<base/>", '<set-header name="X-Seen" exists-action="override"><value>1</value></set-header>']
)
@pytest.mark.parametrize("path", ["/orders/files/big", "/orders/files/chunked"])
async def test_large_bodies_pass_through_whole(echo: Echo, gateway: Any, outbound: str, path: str) -> None:
    """Without outbound policies the body streams; with one it is buffered first. Both arrive intact."""
    policy = f"<policies><inbound><base/></inbound><backend><base/></backend><outbound>{outbound}</outbound></policies>"
    g = await gateway(config(echo.url, {("api", "orders"): policy}))
    for _ in range(2):  # the pooled connection is reusable afterwards
        status, headers, body, _ = await g.call("GET", path, key="k-all")
        assert status == 200 and body == BIG
        assert ("X-Seen" in headers) == ("X-Seen" in outbound)


async def test_cors_preflight_without_an_options_operation(echo: Echo, gateway: Any) -> None:
    cors = (
        "<cors><allowed-origins><origin>https://app.example</origin></allowed-origins>"
        "<allowed-methods><method>GET</method><method>POST</method></allowed-methods></cors>"
    )
    g = await gateway(config(echo.url, {("api", "orders"): document(cors + "<base/>" + mark("after-cors"))}))
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    status, headers, _, _ = await g.call("OPTIONS", "/orders/items", headers=preflight)  # no key needed
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert echo.calls == 0
    status, _, body, _ = await g.call("OPTIONS", "/orders/nothing-here", headers=preflight)
    assert (status, body) == (404, NOT_FOUND)


async def test_buffer_response_false_streams_even_with_outbound_policies(echo: Echo, gateway: Any) -> None:
    policy = (
        '<policies><inbound><base/></inbound><backend><forward-request buffer-response="false"/></backend>'
        '<outbound><set-header name="X-Seen" exists-action="override"><value>1</value></set-header></outbound>'
        "</policies>"
    )
    g = await gateway(config(echo.url, {("api", "orders"): policy}))
    status, headers, body, _ = await g.call("GET", "/orders/files/chunked", key="k-all")
    assert (status, headers["X-Seen"], body) == (200, "1", BIG)


# ----------------------------------------------------------------------------------------------- trace


async def test_trace_location_with_a_tracing_subscription_and_masked_secrets(echo: Echo, gateway: Any) -> None:
    g = await gateway(config(echo.url))
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
    status, headers, _, _ = await g.call(
        "GET", "/orders/items", key="k-starter", headers={"Ocp-Apim-Trace": "true", "Authorization": f"Bearer {jwt}"}
    )
    assert status == 200
    location = headers["Ocp-Apim-Trace-Location"]
    assert location.startswith(g.base)
    async with g.session.get(location) as r:
        assert r.status == 200
        text = await r.text()
    assert "k-starter" not in text and jwt not in text
    doc = json.loads(text)
    inbound = doc["traceEntries"]["inbound"]
    assert inbound[0]["source"] == "api-inspector" and inbound[0]["data"]["request"]["method"] == "GET"
    configuration = inbound[1]["data"]["configuration"]
    assert configuration["api"]["from"] == "/orders"
    assert configuration["operation"] == {"method": "GET", "uriTemplate": "/items"}
    assert configuration["product"] == "starter"
    assert any(e["source"] == "request-forwarder" for e in doc["traceEntries"]["backend"])
    last = doc["traceEntries"]["outbound"][-1]
    assert last["source"] == "api-inspector" and last["data"]["response"]["status"]["code"] == 200


async def test_secret_named_values_are_masked_in_traces(echo: Echo, gateway: Any) -> None:
    policy = document(
        '<set-header name="X-Secret" exists-action="override"><value>{{backend-secret}}</value></set-header>'
        '<trace source="probe"><message>using {{backend-secret}}</message></trace>'
    )
    nv = [{"name": "nv1", "properties": {"displayName": "backend-secret", "value": "s3cr3t-value", "secret": True}}]
    g = await gateway(config(echo.url, {("api", "orders"): policy}, named_values=nv))
    status, headers, _, doc = await g.call("GET", "/orders/items", key="k-starter", headers={"Ocp-Apim-Trace": "true"})
    assert status == 200 and header_values(doc, "X-Secret") == ["s3cr3t-value"]
    async with g.session.get(headers["Ocp-Apim-Trace-Location"]) as r:
        text = await r.text()
    assert "s3cr3t-value" not in text
    probe = [e for e in json.loads(text)["traceEntries"]["inbound"] if e["source"] == "probe"]
    assert probe and "using ***" in json.dumps(probe)


async def test_no_trace_without_allow_tracing(echo: Echo, gateway: Any) -> None:
    g = await gateway(config(echo.url))
    status, headers, _, _ = await g.call("GET", "/orders/items", key="k-all", headers={"Ocp-Apim-Trace": "true"})
    assert status == 200 and "Ocp-Apim-Trace-Location" not in headers


async def test_the_service_is_also_a_raw_asgi_app(echo: Echo) -> None:
    """`GatewayService` hosted by any ASGI server answers like the built-in listener."""
    import httpx

    from keyless.gateway.app import GatewayService

    pool = BackendPool()
    app = GatewayService("svc", config(echo.url), GatewayServices(backends=pool))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
            ok = await client.get("/orders/items/1?x=2", headers={"Ocp-Apim-Subscription-Key": "k-all"})
            missing = await client.get("/orders/items/1")
    finally:
        await pool.close()
    assert ok.status_code == 200 and ok.json()["path"] == "/base/items/1" and ok.json()["query"] == "x=2"
    assert (missing.status_code, missing.content) == (401, MISSING)
