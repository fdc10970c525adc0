"""The gateway's HTTP/1.1 listener on the wire: pipelining, HEAD, 100-continue, chunked uploads, bad requests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from keyless.gateway.app import Gateways
from keyless.gateway.proxy import BackendPool
from keyless.gateway.snapshot import build_snapshot
from keyless.gateway.state import GatewayServices


@pytest.fixture
async def port() -> AsyncIterator[int]:
    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        return web.Response(body=b"%s %s %d" % (request.method.encode(), request.path.encode(), len(body)))

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    backend = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    snapshot = build_snapshot(
        {"name": "svc"},
        apis=[{"name": "a", "properties": {"path": "a", "serviceUrl": backend, "subscriptionRequired": False}}],
        operations={
            "a": [
                {"name": m.lower(), "properties": {"method": m, "urlTemplate": "/*"}} for m in ("GET", "POST", "HEAD")
            ]
        },
        subscriptions=[],
    )
    gateways = Gateways(GatewayServices(backends=BackendPool()))
    yield await gateways.start("svc", snapshot)
    await gateways.close()
    await runner.cleanup()


async def exchange(port: int, data: bytes, until: bytes, *, wait_for: int = 1) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    got = b""
    while got.count(until) < wait_for:
        chunk = await asyncio.wait_for(reader.read(65536), 10)
        if not chunk:
            break
        got += chunk
    writer.close()
    return got


async def test_pipelined_requests_are_answered_in_order(port: int) -> None:
    one = b"GET /a/first HTTP/1.1\r\nHost: x\r\n\r\n"
    two = b"POST /a/second HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
    got = await exchange(port, one + two, b"HTTP/1.1 200", wait_for=2)
    assert got.index(b"GET /first 0") < got.index(b"POST /second 3")


async def test_head_has_no_body_and_a_reason_phrase(port: int) -> None:
    got = await exchange(port, b"HEAD /a/x HTTP/1.1\r\nHost: x\r\n\r\n", b"\r\n\r\n")
    head, _, rest = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and rest == b""


async def test_expect_100_continue_and_chunked_upload(port: int) -> None:
    request = (
        b"POST /a/up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )
    got = await exchange(port, request, b"POST /up 5")
    assert got.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK")


async def test_bad_request_and_connection_close(port: int) -> None:
    assert (await exchange(port, b"NOT HTTP\r\n\r\n", b"\r\n\r\n")).startswith(b"HTTP/1.1 400 Bad Request")
    got = await exchange(port, b"GET /a/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", b"GET /x 0")
    assert b"connection: close" in got.lower()


async def test_404_body_on_the_wire(port: int) -> None:
    got = await exchange(port, b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n", b" }")
    assert got.startswith(b"HTTP/1.1 404 Not Found\r\n")
    assert got.endswith(b'{ "statusCode": 404, "message": "Resource not found" }')
