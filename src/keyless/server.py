"""`keyless up`: every service in one process, one event loop, one listener per Azure host."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from keyless.gateway.workers import GatewayWorkers
from keyless.identity.graph.app import GraphApp
from keyless.identity.managed_identity.endpoints import ManagedIdentityApp
from keyless.identity.oauth import LoginService
from keyless.platform.hosts import HostAliases
from keyless.platform.settings import Settings
from keyless.services import Services
from keyless.workflows.triggers.request import RequestTriggerApp

log = logging.getLogger("keyless")

# Listener order fixes the ports when `--port N` is given: login N, graph N+1, management N+2, identity N+3,
# logic (workflow callback URLs) N+4.
LISTENERS = ("login", "graph", "management", "identity", "logic")
TLS_LISTENERS = frozenset({"login", "graph", "management", "logic"})


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: `keyless up` stops all listeners together."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class Listener:
    name: str
    sock: socket.socket
    routes: list[BaseRoute]
    tls: bool

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])


def bind(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:  # gateway worker processes share the port; the kernel spreads connections over them
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    # Accepted sockets inherit it: uvicorn writes headers and body separately, and with Nagle on, every
    # keep-alive response after the first waits ~40 ms for the client's delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):  # noqa: S104 - a bind-all address is reached locally on loopback
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


async def resolve_admin_secret(services: Services) -> str:
    """The admin secret made this run, or the one endpoints.json kept; a lost one gets a new one beside the others."""
    if services.new_admin_secret:
        return services.new_admin_secret
    path = services.data_dir / "endpoints.json"
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        admin = json.loads(path.read_text())["admin"]
        if admin["client_id"] == services.instance.admin_app_id:
            verdict = await services.directory.check_secret(admin["client_id"], admin["client_secret"])
            if verdict == "ok":
                return str(admin["client_secret"])
    return await services.directory.make_admin(services.instance.admin_app_id, None, replace=False)


def write_private_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)


def endpoints_document(services: Services, admin_secret: str) -> dict[str, Any]:
    e, inst = services.endpoints, services.instance
    return {
        "tenant_id": inst.tenant_id,
        "subscription_id": inst.subscription_id,
        "resource_group": inst.resource_group,
        "location": inst.location,
        "login": e.login,
        "authority": f"{e.login}/{inst.tenant_id}",
        "graph": e.graph,
        "management": e.management,
        "identity": e.identity,
        "logic": e.logic,
        "ca_cert": str(services.tls.ca_cert),
        "admin": {"client_id": inst.admin_app_id, "client_secret": admin_secret},
        "pid": os.getpid(),
    }


async def build(settings: Settings) -> tuple[Services, list[Listener]]:
    services = await Services.open(settings)
    base = settings.port
    socks = {name: bind(settings.host, base + i if base else 0) for i, name in enumerate(LISTENERS)}
    host = url_host(settings.host)
    e = services.endpoints
    e.login = f"https://{host}:{socks['login'].getsockname()[1]}"
    e.graph = f"https://{host}:{socks['graph'].getsockname()[1]}"
    e.management = f"https://{host}:{socks['management'].getsockname()[1]}"
    e.identity = f"http://{host}:{socks['identity'].getsockname()[1]}"
    e.logic = f"https://{host}:{socks['logic'].getsockname()[1]}"
    services.aliases = HostAliases.for_endpoints(e.login, e.graph, e.management, e.logic)
    services.workflows.base_url = e.logic
    routes = {
        "login": LoginService(services.tokens).routes(),
        "graph": GraphApp(services).routes(),
        "management": services.management.routes(),
        "identity": ManagedIdentityApp(services).routes(),
        "logic": RequestTriggerApp(services.workflows).routes() + _content_routes(services),
    }
    return services, [Listener(n, socks[n], routes[n], n in TLS_LISTENERS) for n in LISTENERS]


def _content_routes(services: Services) -> list[BaseRoute]:
    """Run-history content links (inputsLink/outputsLink) live on the logic listener, beside the callbacks."""
    plane = getattr(services, "workflow_plane", None)
    if plane is None:
        return []
    from keyless.workflows.management import contents

    return list(contents.routes(plane))


def summary(doc: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"keyless is up (tenant {doc['tenant_id']})",
            f"  login       {doc['authority']}",
            f"  graph       {doc['graph']}/v1.0",
            f"  management  {doc['management']}/subscriptions/{doc['subscription_id']}",
            f"  identity    {doc['identity']}",
            f"  logic       {doc['logic']}",
            f"  CA          {doc['ca_cert']}",
            "  admin       client id and secret in endpoints.json (owner-only)",
        ]
    )


async def serve(settings: Settings, *, ready: asyncio.Event | None = None, stop: asyncio.Event | None = None) -> None:
    services, listeners = await build(settings)
    stop = stop or asyncio.Event()
    servers = []
    for listener in listeners:
        config = uvicorn.Config(
            Starlette(routes=listener.routes),
            log_level="warning",
            access_log=False,  # URLs can carry secrets (IMDS host paths); never log them
            lifespan="off",
            ssl_certfile=str(services.tls.server_cert) if listener.tls else None,
            ssl_keyfile=str(services.tls.server_key) if listener.tls else None,
            server_header=False,
            timeout_graceful_shutdown=5,
        )
        servers.append(_Server(config))
    tasks = [asyncio.create_task(s.serve(sockets=[lst.sock])) for s, lst in zip(servers, listeners, strict=True)]
    workers: GatewayWorkers | None = None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)  # main thread only
    try:
        while not all(s.started for s in servers):
            if any(t.done() for t in tasks):
                for t in tasks:
                    if t.done() and t.exception():
                        raise t.exception()  # type: ignore[misc]
            await asyncio.sleep(0.005)
        if settings.gateway_workers > 1 and services.gateways is not None:
            services.gateways.reuse_port = True
        apim = getattr(services, "apim", None)
        if apim is not None:  # every stored APIM service's gateway listener, on its kept port
            await apim.publish_all()
        if settings.gateway_workers > 1:
            workers = GatewayWorkers(settings)
            workers.start()
        try:  # after the listeners: resumed runs call them
            await services.workflows.start_up()
        except Exception:
            log.exception("The workflow runtime did not start")
        secret = await resolve_admin_secret(services)
        doc = endpoints_document(services, secret)
        write_private_json(settings.data_dir / "endpoints.json", doc)
        print(summary(doc), flush=True)
        if ready is not None:
            ready.set()
        await stop.wait()
    finally:
        with contextlib.suppress(Exception):
            await services.workflows.close()  # runs in flight stay Running and resume at the next start
        if workers is not None:
            await workers.stop()
        for s in servers:
            s.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
        if services.gateways is not None:
            await services.gateways.close()
        await services.close()
        for lst in listeners:
            lst.sock.close()
