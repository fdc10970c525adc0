"""The backend client: URL building, headers on the way out, host aliases, timeouts and redirects."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from keyless.gateway.app import backend_url
from keyless.gateway.compiler import compile_document
from keyless.gateway.http_types import GatewayRequest, Headers, Url
from keyless.gateway.policy import PolicyError
from keyless.gateway.proxy import BackendPool
from keyless.gateway.snapshot import ApiRecord
from keyless.gateway.state import GatewayServices, RequestState
from keyless.platform.hosts import HostAliases


def test_backend_url_is_service_url_plus_path_after_api_path_plus_query() -> None:
    """The doc's example: /api/partners/15?version=...&subscription-key=... with serviceUrl http://contoso.com/api/10.4/."""
    api = ApiRecord("a", "a", "api", Url.parse("http://contoso.com/api/10.4/"))
    url = backend_url(api, "/partners/15", {"version": ["2013-05"], "subscription-key": ["abcdef"]})
    assert str(url) == "http://contoso.com/api/10.4/partners/15?version=2013-05&subscription-key=abcdef"
    assert str(backend_url(api, "", {})) == "http://contoso.com/api/10.4"
    root = ApiRecord("r", "r", "", Url.parse("https://b.example:8443"))
    assert str(backend_url(root, "/x/y", {})) == "https://b.example:8443/x/y"


@pytest.fixture
async def backend() -> AsyncIterator[str]:
    async def echo(request: web.Request) -> web.Response:
        doc = {"method": request.method, "path": request.path_qs, "headers": dict(request.headers)}
        doc["body"] = (await request.read()).decode()
        return web.json_response(doc)

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(text="late")

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound("/echo")

    app = web.Application()
    app.router.add_route("*", "/echo", echo)
    app.router.add_get("/slow", slow)
    app.router.add_get("/redirect", redirect)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    await runner.cleanup()


def make_state(url: str, pool: BackendPool, method: str = "GET", headers: Any = (), body: bytes = b"") -> RequestState:
    target = Url.parse(url)
    request = GatewayRequest(method, target, target.copy(), Headers(headers), body, "10.1.2.3")
    return RequestState(request, GatewayServices(backends=pool))


async def test_headers_body_and_x_forwarded_for(backend: str) -> None:
    pool = BackendPool()
    try:
        state = make_state(
            backend + "/echo",
            pool,
            "POST",
            [
                ("X-Custom", "1"),
                ("Proxy-Authorization", "secret"),
                ("TE", "trailers"),
                ("X-Forwarded-For", "192.0.2.1"),
                ("Content-Type", "text/plain"),
            ],
            b"payload",
        )
        response = await pool.forward(state)
        doc = json.loads(response.body)
    finally:
        await pool.close()
    assert doc["method"] == "POST" and doc["body"] == "payload"
    assert doc["headers"]["X-Custom"] == "1" and doc["headers"]["Content-Type"] == "text/plain"
    assert "Proxy-Authorization" not in doc["headers"] and "TE" not in doc["headers"]
    assert doc["headers"]["X-Forwarded-For"] == "192.0.2.1, 10.1.2.3"
    assert doc["headers"]["Host"] == backend.split("//")[1]


async def test_aliased_host_reaches_the_local_service(backend: str) -> None:
    aliases = HostAliases()
    aliases.add(["contoso.azure-api.net"], backend)
    pool = BackendPool(aliases=aliases)
    try:
        response = await pool.forward(make_state("https://contoso.azure-api.net/echo?a=1", pool))
    finally:
        await pool.close()
    assert json.loads(response.body)["path"] == "/echo?a=1"


async def test_timeout_and_connection_failure_are_policy_errors(backend: str) -> None:
    pool = BackendPool()
    try:
        with pytest.raises(PolicyError) as err:
            await pool.forward(make_state(backend + "/slow", pool), seconds=0.05)
        assert (err.value.source, err.value.reason) == ("forward-request", "Timeout")
        with pytest.raises(PolicyError) as err:
            await pool.forward(make_state("http://127.0.0.1:1/x", pool))
        assert err.value.reason == "BackendConnectionFailure"
    finally:
        await pool.close()


async def test_forward_request_policy_attributes(backend: str) -> None:
    """follow-redirects (false by default) and fail-on-error-status-code through the real policy."""
    pool = BackendPool()

    async def run(policy: str, path: str) -> RequestState:
        doc = compile_document(f"<policies><backend>{policy}</backend></policies>", scope="api")
        state = make_state(backend + path, pool)
        state.section = "backend"
        await doc.sections["backend"][0].run(doc.sections["backend"][0].config, state)  # type: ignore[union-attr]
        return state

    try:
        assert (await run("<forward-request/>", "/redirect")).response.status == 302
        assert (await run('<forward-request follow-redirects="true"/>', "/redirect")).response.status == 200
        with pytest.raises(PolicyError) as err:
            await run('<forward-request timeout-ms="50"/>', "/slow")
        assert err.value.reason == "Timeout"
        await run('<forward-request fail-on-error-status-code="true"/>', "/echo")
        with pytest.raises(PolicyError):
            await run('<forward-request fail-on-error-status-code="true"/>', "/missing")
    finally:
        await pool.close()


# ----------------------------------------------------------------------------------------------- the HTTP/1.1 client


async def raw_server(handler: Any) -> tuple[asyncio.AbstractServer, int]:
    """A TCP server answering with bytes we write by hand (to shape responses aiohttp would not)."""
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def read_head(reader: asyncio.StreamReader) -> bytes:
    return await reader.readuntil(b"\r\n\r\n")


async def test_chunked_close_delimited_and_interim_responses() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await read_head(reader)
        if b"/chunked" in head:
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        elif b"/interim" in head:
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
        else:  # no length: the body ends with the connection
            writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end")
            await writer.drain()
            writer.close()
            return
        await writer.drain()
        await read_head(reader)  # keep-alive: wait for the next request or EOF
        writer.close()

    server, port = await raw_server(handler)
    pool = BackendPool()
    try:
        for path, status, body in (
            ("/chunked", 200, b"hello world"),
            ("/interim", 201, b"ok"),
            ("/eof", 200, b"until the end"),
        ):
            response = await pool.forward(make_state(f"http://127.0.0.1:{port}{path}", pool))
            assert (response.status, response.body) == (status, body)
            assert "Transfer-Encoding" not in response.headers
    finally:
        await pool.close()
        server.close()


async def test_a_connection_the_backend_closed_while_idle_is_replaced() -> None:
    served = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal served
        await read_head(reader)
        served += 1
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n" + str(served).encode())
        await writer.drain()
        writer.close()  # keep-alive announced, then dropped: the pooled connection is stale

    server, port = await raw_server(handler)
    pool = BackendPool()
    try:
        first = await pool.forward(make_state(f"http://127.0.0.1:{port}/", pool))
        await asyncio.sleep(0)
        second = await pool.forward(make_state(f"http://127.0.0.1:{port}/", pool))
        assert (first.body, second.body) == (b"1", b"2")
    finally:
        await pool.close()
        server.close()


async def test_header_injection_is_refused(backend: str) -> None:
    pool = BackendPool()
    try:
        with pytest.raises(PolicyError) as err:
            await pool.forward(make_state(backend + "/echo", pool, headers=[("X-Evil", "a\r\nX-Injected: 1")]))
        assert err.value.reason == "BackendConnectionFailure"
    finally:
        await pool.close()


async def test_https_backend_signed_by_keylesss_ca(tmp_path: Any) -> None:
    import ssl

    from keyless.platform.tls import ensure_tls

    files = ensure_tls(tmp_path / "tls")

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="secure")

    app = web.Application()
    app.router.add_get("/s", hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=files.server_context())
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    trusting, default = BackendPool(files.client_context()), BackendPool(ssl.create_default_context())
    try:
        response = await trusting.forward(make_state(f"https://127.0.0.1:{port}/s", trusting))
        assert (response.status, response.body) == (200, b"secure")
        with pytest.raises(PolicyError):  # a client that does not trust keyless's CA refuses the backend
            await default.forward(make_state(f"https://127.0.0.1:{port}/s", default))
    finally:
        await trusting.close()
        await default.close()
        await runner.cleanup()
