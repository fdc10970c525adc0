"""cache-lookup / cache-store through keyless's real gateway (snapshot, pipeline, listener, a local backend):
a hit answers from the cache without calling the backend; what varies the key; what is stored; compile refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from keyless.gateway import app
from keyless.gateway import snapshot as snapshot_module
from keyless.gateway import state as state_module
from keyless.gateway.compiler import compile_document
from keyless.gateway.counters import InMemoryCounters
from keyless.gateway.policy_xml import ValidationError
from keyless.gateway.proxy import BackendPool
from keyless.gateway.value_cache import InMemoryValueCache, RedisValueCache, ValueCaches
from keyless.platform.hosts import HostAliases

CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus" / "apim"
TOOLKIT = CORPUS / "Azure__azure-api-management-policy-toolkit/test/Test.Decompiling/TestData"
SNIPPETS = CORPUS / "Azure__api-management-policy-snippets/examples"
GLOBAL = "<policies><inbound/><backend><forward-request/></backend><outbound/><on-error/></policies>"


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


class Backend:
    """A local HTTP server answering every path; `reply(request, n)` makes the n-th response (1-based)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.url = ""
        self.reply: Callable[[web.Request, int], web.Response] = lambda r, n: web.json_response({"n": n})

    async def start(self) -> Backend:
        async def handle(request: web.Request) -> web.Response:
            body = await request.read()
            self.received.append({"method": request.method, "path": request.path_qs, "body": body})
            return self.reply(request, len(self.received))

        application = web.Application()
        application.router.add_route("*", "/{tail:.*}", handle)
        self._runner = web.AppRunner(application)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        await self._runner.cleanup()


def document(inbound: str, outbound: str) -> str:
    return (
        f"<policies><inbound><base/>{inbound}</inbound><backend><base/></backend>"
        f"<outbound><base/>{outbound}</outbound><on-error><base/></on-error></policies>"
    )


def build(backend: Backend, api_policy: str, global_policy: str = GLOBAL) -> Any:
    """One service: API `items` at /items over `<backend>/api`, GET and POST /{id}, two all-APIs keys."""

    def sub(name: str, key: str) -> dict[str, Any]:
        return {
            "name": name,
            "properties": {"scope": "/apis", "state": "active", "primaryKey": key, "secondaryKey": key + "x"},
        }

    return snapshot_module.build_snapshot(
        {"name": "svc", "location": "westeurope"},
        apis=[{"name": "items", "properties": {"path": "items", "serviceUrl": backend.url + "/api"}}],
        operations={
            "items": [
                {"name": "get", "properties": {"method": "GET", "urlTemplate": "/{id}"}},
                {"name": "post", "properties": {"method": "POST", "urlTemplate": "/{id}"}},
            ]
        },
        subscriptions=[sub("alice", "k-alice"), sub("bob", "k-bob")],
        policies={("global",): global_policy, ("api", "items"): api_policy},
    )


@pytest.fixture
async def backend() -> AsyncIterator[Backend]:
    server = await Backend().start()
    yield server
    await server.stop()


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Any]:
    clock = Clock()
    services = state_module.GatewayServices(
        backends=BackendPool(),
        aliases=HostAliases(),
        cache=ValueCaches(InMemoryValueCache(clock)),
        counters=InMemoryCounters(clock),
    )
    services.extra["response-cache-clock"] = clock
    gateways = app.Gateways(services, ports_file=tmp_path / "ports.json")
    session = aiohttp.ClientSession()

    async def start(snap: Any) -> Any:
        port = await gateways.start("svc", snap)

        async def call(
            path: str = "/items/1",
            key: str = "k-alice",
            method: str = "GET",
            headers: dict[str, str] | None = None,
            data: bytes | None = None,
        ) -> tuple[int, Any, bytes]:
            sent = {"Ocp-Apim-Subscription-Key": key, **(headers or {})}
            async with session.request(method, f"http://127.0.0.1:{port}{path}", headers=sent, data=data) as r:
                return r.status, r.headers, await r.read()

        call.port = port  # type: ignore[attr-defined]
        return call

    start.clock = clock  # type: ignore[attr-defined]
    start.services = services  # type: ignore[attr-defined]
    yield start
    await session.close()
    await gateways.close()


BOTH = 'vary-by-developer="false" vary-by-developer-groups="false"'
LOOKUP = f'<cache-lookup {BOTH} caching-type="internal"/>'


async def test_a_hit_is_served_without_the_backend_until_the_entry_expires(backend: Backend, gateway: Any) -> None:
    call = await gateway(build(backend, document(LOOKUP, '<cache-store duration="60"/>')))
    first = await call()
    second = await call()
    assert first[0] == second[0] == 200 and first[2] == second[2] == b'{"n": 1}'
    assert second[1]["Content-Type"].startswith("application/json")
    assert len(backend.received) == 1
    assert (await call("/items/2"))[2] == b'{"n": 2}'  # another path is another entry
    gateway.clock.t += 61
    assert (await call())[2] == b'{"n": 3}'
    assert len(backend.received) == 3


def mark(name: str) -> str:
    value = '@(context.Request.Headers.GetValueOrDefault("X-Call", ""))'
    return f'<set-header name="{name}" exists-action="override"><value>{value}</value></set-header>'


async def test_a_hit_resumes_outbound_after_the_cache_store(backend: Backend, gateway: Any) -> None:
    outbound = f'{mark("X-Before")}<choose><when condition="@(true)"><cache-store duration="60"/></when></choose>'
    call = await gateway(build(backend, document(LOOKUP, outbound + mark("X-After"))))
    _, first, _ = await call(headers={"X-Call": "1"})
    assert (first["X-Before"], first["X-After"]) == ("1", "1")
    status, hit, body = await call(headers={"X-Call": "2"})
    # X-Before is part of the stored response; the policies after the (choose holding) cache-store run again
    assert (status, body, hit["X-Before"], hit["X-After"]) == (200, b'{"n": 1}', "1", "2")
    assert len(backend.received) == 1


async def test_a_failure_after_the_cache_store_on_a_hit_is_an_outbound_failure(backend: Backend, gateway: Any) -> None:
    parse = '@(int.Parse(context.Request.Headers.GetValueOrDefault("X-Call", "")).ToString())'
    failing = f'<set-header name="X-Parsed" exists-action="override"><value>{parse}</value></set-header>'
    call = await gateway(build(backend, document(LOOKUP, '<cache-store duration="60"/>' + failing)))
    assert (await call(headers={"X-Call": "1"}))[1]["X-Parsed"] == "1"
    status, _, body = await call(headers={"X-Call": "boom"})
    assert status == 500 and b"activityId" in body
    assert len(backend.received) == 1


async def test_only_200_is_stored_unless_cache_response_is_true(backend: Backend, gateway: Any) -> None:
    backend.reply = lambda r, n: web.Response(status=404, text=f"missing {n}")
    call = await gateway(build(backend, document(LOOKUP, '<cache-store duration="60"/>')))
    assert (await call())[2] == b"missing 1"
    assert (await call())[2] == b"missing 2"
    call = await gateway(build(backend, document(LOOKUP, '<cache-store duration="60" cache-response="@(true)"/>')))
    assert (await call())[2] == b"missing 3"
    status, _, body = await call()
    assert (status, body) == (404, b"missing 3")


async def test_non_get_and_authorization_requests_bypass_the_cache(backend: Backend, gateway: Any) -> None:
    call = await gateway(build(backend, document(LOOKUP, '<cache-store duration="60"/>')))
    assert (await call(method="POST"))[2] == b'{"n": 1}'
    assert (await call(method="POST"))[2] == b'{"n": 2}'
    auth = {"Authorization": "Bearer abc"}
    assert (await call(headers=auth))[2] == b'{"n": 3}'
    assert (await call(headers=auth))[2] == b'{"n": 4}'
    private = LOOKUP.replace(
        "/>", ' allow-private-response-caching="true"><vary-by-header>Authorization</vary-by-header></cache-lookup>'
    )
    call = await gateway(build(backend, document(private, '<cache-store duration="60"/>')))
    assert (await call(headers=auth))[2] == b'{"n": 5}'
    assert (await call(headers=auth))[2] == b'{"n": 5}'
    assert (await call(headers={"Authorization": "Bearer other"}))[2] == b'{"n": 6}'


async def test_vary_by_header_query_parameter_and_developer(backend: Backend, gateway: Any) -> None:
    lookup = (
        '<cache-lookup vary-by-developer="true" vary-by-developer-groups="false">'
        "<vary-by-header>Accept</vary-by-header><vary-by-query-parameter>a;b</vary-by-query-parameter>"
        "</cache-lookup>"
    )
    call = await gateway(build(backend, document(lookup, '<cache-store duration="60"/>')))
    assert (await call("/items/1?a=1&other=x"))[2] == b'{"n": 1}'
    assert (await call("/items/1?a=1&other=y"))[2] == b'{"n": 1}'  # an unlisted parameter is not in the key
    assert (await call("/items/1?a=1&b=2"))[2] == b'{"n": 2}'
    assert (await call("/items/1?a=1", headers={"Accept": "text/plain"}))[2] == b'{"n": 3}'
    assert (await call("/items/1?a=1", key="k-bob"))[2] == b'{"n": 4}'  # another caller, another entry
    assert (await call("/items/1?a=1", key="k-bob"))[2] == b'{"n": 4}'


async def test_downstream_caching_sets_cache_control(backend: Backend, gateway: Any) -> None:
    lookup = LOOKUP.replace("/>", ' downstream-caching-type="public" must-revalidate="true"/>')
    call = await gateway(build(backend, document(lookup, '<cache-store duration="60"/>')))
    assert (await call())[1]["Cache-Control"] == "public, max-age=60, must-revalidate"
    gateway.clock.t += 20
    assert (await call())[1]["Cache-Control"] == "public, max-age=40, must-revalidate"
    lookup = LOOKUP.replace("/>", ' downstream-caching-type="@(&quot;private&quot;)" must-revalidate="false"/>')
    call = await gateway(
        build(backend, document(lookup.replace("internal", "prefer-external"), '<cache-store duration="30"/>'))
    )
    assert (await call("/items/9"))[1]["Cache-Control"] == "private, max-age=30"


async def test_cache_store_without_a_lookup_stores_nothing(backend: Backend, gateway: Any) -> None:
    call = await gateway(build(backend, document("", '<cache-store duration="60"/>')))
    assert (await call())[2] == b'{"n": 1}'
    assert (await call())[2] == b'{"n": 2}'


class FakeRedis:
    """The three commands RedisValueCache sends, over a dict (values are the JSON text Redis would hold)."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    async def execute(self, *args: Any) -> Any:
        if args[0] == "GET":
            return self.data.get(args[1])
        if args[0] == "SET":
            self.data[args[1]] = args[2]
            return "OK"
        return int(self.data.pop(args[1], None) is not None)  # DEL


async def test_prefer_external_keeps_responses_in_the_external_cache(backend: Backend, gateway: Any) -> None:
    redis = FakeRedis()
    gateway.services.cache = ValueCaches(InMemoryValueCache(gateway.clock), RedisValueCache(redis))
    backend.reply = lambda r, n: web.Response(body=bytes([0, 255, n]), headers={"X-N": str(n)})
    call = await gateway(
        build(backend, document(LOOKUP.replace("internal", "prefer-external"), '<cache-store duration="60"/>'))
    )
    assert (await call())[2] == bytes([0, 255, 1])
    assert len(redis.data) == 1 and "Ocp-Apim" not in next(iter(redis.data.values()))
    status, headers, body = await call()
    assert (status, headers["X-N"], body) == (200, "1", bytes([0, 255, 1]))
    assert len(backend.received) == 1


@pytest.mark.skipif(not TOOLKIT.is_dir(), reason=f"corpus not found at {CORPUS}")
async def test_corpus_conditional_store_and_cache_control_duration(backend: Backend, gateway: Any) -> None:
    conditional = (TOOLKIT / "cache-conditional-store.xml").read_text(encoding="utf-8-sig")
    call = await gateway(build(backend, conditional))
    assert (await call())[2] == b'{"n": 1}'
    status, headers, body = await call()
    assert (status, body) == (200, b'{"n": 1}')
    assert headers["Cache-Control"] == "public, max-age=1800, must-revalidate"
    # the snippet's duration is the backend's max-age; cache-lookup-store.xml supplies the lookup
    backend.reply = lambda r, n: web.json_response({"n": n}, headers={"Cache-Control": "max-age=5"})
    snippet = (SNIPPETS / "Set cache duration using response cache control header.policy.xml").read_text("utf-8-sig")
    outbound = snippet[snippet.index("<cache-store") : snippet.index("/>", snippet.index("<cache-store")) + 2]
    lookup_store = (TOOLKIT / "cache-lookup-store.xml").read_text(encoding="utf-8-sig")
    call = await gateway(build(backend, lookup_store.replace('<cache-store duration="14400" />', outbound)))
    assert (await call("/items/5?locale=en"))[2] == b'{"n": 2}'
    assert (await call("/items/5?locale=en"))[2] == b'{"n": 2}'
    gateway.clock.t += 6
    assert (await call("/items/5?locale=en"))[2] == b'{"n": 3}'


@pytest.mark.parametrize(
    ("policy", "needle"),
    [
        ('<cache-lookup vary-by-developer-groups="false"/>', "vary-by-developer"),
        ('<cache-lookup vary-by-developer="false"/>', "vary-by-developer-groups"),
        ('<cache-lookup vary-by-developer="maybe" vary-by-developer-groups="false"/>', "vary-by-developer"),
        (
            f'<cache-lookup {BOTH} caching-type="disk"/>',
            "caching-type",
        ),
        (
            f'<cache-lookup {BOTH} caching-type="@(&quot;internal&quot;)"/>',
            "caching-type",
        ),
        (
            f'<cache-lookup {BOTH} downstream-caching-type="all"/>',
            "downstream-caching-type",
        ),
        (
            f'<cache-lookup {BOTH} must-revalidate="yes"/>',
            "must-revalidate",
        ),
        (
            f'<cache-lookup {BOTH} allow-private-response-caching="1"/>',
            "allow-private-response-caching",
        ),
        (f'<cache-lookup {BOTH} colour="red"/>', "colour"),
        (
            f"<cache-lookup {BOTH}><vary-by-cookie>a</vary-by-cookie></cache-lookup>",
            "vary-by-cookie",
        ),
        (
            f"<cache-lookup {BOTH}><vary-by-header/></cache-lookup>",
            "vary-by-header",
        ),
        (
            f'<cache-lookup {BOTH}><vary-by-query-parameter>@("a")</vary-by-query-parameter></cache-lookup>',
            "vary-by-query-parameter",
        ),
    ],
)
def test_cache_lookup_refusals_name_the_attribute_or_element(policy: str, needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        compile_document(document(policy, ""), scope="api")


@pytest.mark.parametrize(
    ("policy", "needle"),
    [
        ("<cache-store/>", "duration"),
        ('<cache-store duration="-1"/>', "duration"),
        ('<cache-store duration="ten"/>', "duration"),
        ('<cache-store duration="10" cache-response="sometimes"/>', "cache-response"),
        ('<cache-store duration="10" vary="x"/>', "vary"),
        ('<cache-store duration="10"><value/></cache-store>', "value"),
    ],
)
def test_cache_store_refusals_name_the_attribute(policy: str, needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        compile_document(document("", policy), scope="api")


def test_sections_and_once_per_section() -> None:
    with pytest.raises(ValidationError, match="cache-lookup"):
        compile_document(document("", LOOKUP), scope="api")
    with pytest.raises(ValidationError, match="cache-store"):
        compile_document(document('<cache-store duration="1"/>', ""), scope="api")
    with pytest.raises(ValidationError, match="only once"):
        compile_document(document(LOOKUP + LOOKUP, ""), scope="api")
