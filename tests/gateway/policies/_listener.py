"""A gateway listener for policy tests: start a snapshot, then call it over HTTP with a subscription key."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from keyless.gateway import app, proxy
from keyless.gateway import state as state_module

Call = Callable[..., Awaitable[tuple[int, Any, bytes]]]


def document(inbound: str = "", outbound: str = "", on_error: str = "") -> str:
    """A policy document that adds to each section after `<base/>`."""
    return (
        f"<policies><inbound><base/>{inbound}</inbound><backend><base/></backend>"
        f"<outbound><base/>{outbound}</outbound><on-error><base/>{on_error}</on-error></policies>"
    )


@asynccontextmanager
async def listening(tmp_path: Path, key: str) -> AsyncIterator[Callable[[Any], Awaitable[Call]]]:
    """`start(snapshot)` serves the snapshot as service `svc` and returns `call(method, path, **aiohttp kwargs)`."""
    services = state_module.GatewayServices(backends=proxy.BackendPool())
    gateways = app.Gateways(services, ports_file=tmp_path / "ports.json")
    session = aiohttp.ClientSession()

    async def start(snap: Any) -> Call:
        port = await gateways.start("svc", snap)

        async def call(method: str, path: str, **kwargs: Any) -> tuple[int, Any, bytes]:
            headers = {"Ocp-Apim-Subscription-Key": key, **kwargs.pop("headers", {})}
            async with session.request(method, f"http://127.0.0.1:{port}{path}", headers=headers, **kwargs) as r:
                return r.status, r.headers, await r.read()

        return call

    try:
        yield start
    finally:
        await session.close()
        await gateways.close()
