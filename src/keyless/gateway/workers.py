"""Gateway worker processes: more processes serving the same APIM listeners (`keyless up --gateway-workers N`).

Each worker opens the same store, publishes every APIM service's snapshot on the service's kept port with
SO_REUSEPORT (the kernel spreads connections over the processes), and follows configuration changes by
polling a fingerprint of the stored APIM resources, so a policy PUT reaches every worker without a restart.
Counters (rate-limit, quota) are per process unless KEYLESS_REDIS_URL points them at Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from keyless.platform.hosts import GRAPH_HOSTS, LOGIN_HOSTS, MANAGEMENT_HOSTS
from keyless.platform.models import ArmResource

if TYPE_CHECKING:
    from keyless.platform.settings import Settings
    from keyless.services import Services

log = logging.getLogger("keyless.gateway")

POLL_SECONDS = 0.5
APIM_TYPES = "microsoft.apimanagement/service"


class GatewayWorkers:
    """The extra worker processes of a `keyless up`, started once it is ready and stopped with it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        args = [
            sys.executable,
            "-m",
            "keyless.cli.main",
            "gateway-worker",
            "--data-dir",
            str(self.settings.data_dir),
            "--host",
            self.settings.host,
        ]
        if self.settings.database_url:
            args += ["--database-url", self.settings.database_url]
        for _ in range(self.settings.gateway_workers - 1):
            self.procs.append(subprocess.Popen(args, stdin=subprocess.DEVNULL))  # noqa: S603 - our own command

    async def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(proc.wait, 10)
            if proc.poll() is None:
                proc.kill()
        self.procs.clear()


async def apim_fingerprint(services: Services) -> tuple[Any, ...]:
    """Changes whenever an APIM resource is written or deleted (count and latest write of the stored rows)."""
    query = select(func.count(), func.max(ArmResource.updated)).where(ArmResource.type.startswith(APIM_TYPES))
    async with services.store.session() as session:
        row = (await session.execute(query)).one()
    return tuple(row)


async def refresh(services: Services) -> None:
    """Republish every stored service from the store; stop the listeners of services that are gone."""
    apim = services.apim
    apim._models.clear()  # the store is the truth; this process made none of the writes
    await apim.publish_all()
    stored = {
        str(b["name"])
        for b in await services.resources.by_type("Microsoft.ApiManagement/service", services.instance.subscription_id)
    }
    for name in services.gateways.names():
        if name not in stored:
            await services.gateways.stop(name)


async def run_worker(settings: Settings) -> None:
    """A gateway worker: serve the APIM listeners until SIGTERM, following configuration changes."""
    from keyless.services import Services

    services = await Services.open(settings)
    services.gateways.reuse_port = True
    # The keyless process wrote where its listeners are; outbound calls (openid-config, managed identity,
    # forward-request to Azure host names) must reach them from here too.
    endpoints = json.loads((settings.data_dir / "endpoints.json").read_text())
    services.aliases.add(LOGIN_HOSTS, endpoints["login"])
    services.aliases.add(GRAPH_HOSTS, endpoints["graph"])
    services.aliases.add(MANAGEMENT_HOSTS, endpoints["management"])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    try:
        seen = await apim_fingerprint(services)
        await refresh(services)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_SECONDS)
            now = await apim_fingerprint(services)
            if now != seen:
                seen = now
                try:
                    await refresh(services)
                except Exception as exc:  # keep serving the last good snapshot, as the main process does
                    log.warning("gateway worker could not republish: %s", type(exc).__name__)
    finally:
        await services.gateways.close()
        await services.close()
