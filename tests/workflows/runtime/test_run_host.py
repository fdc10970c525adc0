"""The run host's outbound HTTP: Azure host names reach local listeners through the alias table, the run's
correlation headers go along (unless the action suppresses workflow headers), redirects are not followed, and
connection failures surface as OSError (retryable for the Http action)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web

from keyless.platform.hosts import HostAliases
from keyless.workflows.host import HttpRequest
from keyless.workflows.run_host import OutboundHttp, RunContext, WorkflowRunHost

WORKFLOW = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Logic/workflows/orders"


@pytest.fixture
async def backend() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    async def echo(request: web.Request) -> web.Response:
        seen.append({"path": request.path_qs, "headers": dict(request.headers), "body": await request.read()})
        return web.json_response({"ok": True})

    async def moved(request: web.Request) -> web.Response:
        seen.append({"path": request.path_qs})
        raise web.HTTPFound("/elsewhere")

    app = web.Application()
    app.router.add_route("*", "/moved", moved)
    app.router.add_route("*", "/{tail:.*}", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", seen
    await runner.cleanup()


@pytest.fixture
async def host_for(backend: tuple[str, list[dict[str, Any]]]) -> AsyncIterator[WorkflowRunHost]:
    aliases = HostAliases()
    aliases.add_suffix("azure-api.net", backend[0])
    http = OutboundHttp(None)
    runtime = SimpleNamespace(services=SimpleNamespace(aliases=aliases), http=http)
    context = RunContext(WORKFLOW, "orders", "08584640926573727105946217888CU00", "08584640926645886908", "client-1")
    yield WorkflowRunHost(runtime, context)  # type: ignore[arg-type]
    await http.close()


async def test_azure_host_names_reach_the_local_listener_with_correlation(
    host_for: WorkflowRunHost, backend: tuple[str, list[dict[str, Any]]]
) -> None:
    request = HttpRequest(
        "POST",
        "https://contoso.azure-api.net/orders/add?x=1",
        {"x-ms-workflow-operation-name": "Add_order", "Content-Type": "application/json"},
        b'{"n": 1}',
    )
    response = await host_for.send(request)
    assert response.status == 200
    assert response.body == b'{"ok": true}'
    seen = backend[1][-1]
    assert seen["path"] == "/orders/add?x=1"
    assert seen["body"] == b'{"n": 1}'
    headers = {k.lower(): v for k, v in seen["headers"].items()}
    assert headers["x-ms-workflow-run-id"] == "08584640926573727105946217888CU00"
    assert headers["x-ms-client-tracking-id"] == "client-1"
    assert headers["x-ms-workflow-name"] == "orders"
    assert headers["x-ms-correlation-id"] == host_for.context.tracking_id


async def test_suppressed_workflow_headers_send_no_correlation(
    host_for: WorkflowRunHost, backend: tuple[str, list[dict[str, Any]]]
) -> None:
    await host_for.send(HttpRequest("GET", "https://contoso.azure-api.net/plain"))
    headers = {k.lower() for k in backend[1][-1]["headers"]}
    assert not any(h.startswith("x-ms-workflow") for h in headers)


async def test_redirects_are_returned_not_followed(
    host_for: WorkflowRunHost, backend: tuple[str, list[dict[str, Any]]]
) -> None:
    response = await host_for.send(HttpRequest("GET", "https://contoso.azure-api.net/moved"))
    assert response.status == 302
    assert dict((k.lower(), v) for k, v in response.headers)["location"] == "/elsewhere"
    assert [s["path"] for s in backend[1]] == ["/moved"]


async def test_connection_refused_is_an_os_error(host_for: WorkflowRunHost) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(OSError):
        await host_for.send(HttpRequest("GET", f"http://127.0.0.1:{port}/"))


async def test_sleep_ends_when_the_run_is_cancelled(host_for: WorkflowRunHost) -> None:
    import asyncio

    sleeping = asyncio.create_task(host_for.sleep(3600))
    await asyncio.sleep(0)
    assert not sleeping.done()
    host_for.cancel.set()
    await asyncio.wait_for(sleeping, 30)  # returns (not raises) so the interpreter records the cancellation
