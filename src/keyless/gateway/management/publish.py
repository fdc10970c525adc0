"""Hands each APIM service's configuration to the gateway core: every write is checked against the whole service
(its documents recompiled as the write would leave them) and the service's snapshot is rebuilt and swapped.

The catalog keeps each service's stored bodies in memory so a write never re-reads the store and two writes in
flight cannot publish a snapshot missing the other (the model is replaced without an await in between). The
write is staged from `prepare`/`on_delete`, before the router stores it: a refused write changes nothing, and the
gateway sees exactly what the store will hold. Other keyless nodes on a shared store are not notified (yet).
"""

from __future__ import annotations

import socket
import sys
from typing import TYPE_CHECKING, Any

from keyless.gateway.management._common import SERVICE, service_id
from keyless.gateway.management.compiling import Compiled, compile_service
from keyless.gateway.management.config import ServiceConfig

if TYPE_CHECKING:
    from keyless.services import Services


class Catalog:
    """Each APIM service's resources as stored (lower-case id -> body), and the publishing of their snapshots."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._models: dict[str, dict[str, dict[str, Any]]] = {}

    async def model(self, sid: str) -> dict[str, dict[str, Any]]:
        key = sid.lower()
        if key not in self._models:
            resources = self.services.resources
            body = await resources.get(sid)
            loaded = {key: body} if body else {}
            loaded.update({row.key: dict(row.body) for row in await resources.descendants(sid)})
            self._models.setdefault(key, loaded)
        return self._models[key]

    async def config(self, sid: str) -> ServiceConfig:
        return ServiceConfig.from_model(sid, await self.model(sid))

    async def stage_put(
        self, stored: dict[str, Any], *, also: list[dict[str, Any]] | None = None, removed: list[str] | None = None
    ) -> Compiled:
        """`stored` (with id, name, type) as the router will store it, with other bodies written (`also`) or
        deleted (`removed`, with their subtrees) by the same request; raises ArmError if anything would break."""
        sid = service_id(stored["id"])
        gone = [r.lower() for r in removed or []]
        model = {
            k: v for k, v in (await self.model(sid)).items() if not any(k == g or k.startswith(g + "/") for g in gone)
        }
        for body in [*(also or []), stored]:
            model[body["id"].lower()] = body
        return self._commit(sid, model, stored["id"])

    async def stage_delete(self, resource_id: str, extra: list[str] | None = None) -> None:
        """The resource, everything under it and `extra` ids leave the service; refused if a remaining document
        needs them."""
        sid = service_id(resource_id)
        key = resource_id.lower()
        if key == sid.lower():
            self._models.pop(key, None)
            retire_gateway(self.services, sid)
            return
        requested = requested_delete_id()
        if requested is not None and requested.lower() != key and key.startswith(requested.lower() + "/"):
            # Part of a cascade: the requested resource's own on_delete publishes once its subtree is gone.
            return
        current = await self.model(sid)
        gone = [key, *(e.lower() for e in extra or [])]
        model = {k: v for k, v in current.items() if not any(k == g or k.startswith(g + "/") for g in gone)}
        self._commit(sid, model, None)

    def _commit(self, sid: str, model: dict[str, dict[str, Any]], written_id: str | None) -> Compiled:
        config = ServiceConfig.from_model(sid, model)
        compiled = compile_service(config, written_id)
        publish_snapshot(self.services, config, compiled)
        self._models[sid.lower()] = model
        return compiled

    async def publish_all(self) -> None:
        """Build every stored service's snapshot (at start-up, before the gateway listeners answer)."""
        instance = self.services.instance
        for body in await self.services.resources.by_type(SERVICE, instance.subscription_id):
            sid = body["id"]
            self._commit(sid, dict(await self.model(sid)), None)


def requested_delete_id() -> str | None:
    """The id the running ARM DELETE was asked for; the router calls `on_delete` for each descendant first and
    does not say which one was requested, so a cascade would otherwise look like direct deletes."""
    from keyless.arm.router import ArmRouter

    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is ArmRouter.delete.__code__:
            path = frame.f_locals.get("path")
            return path.resource_id() if path is not None else None
        frame = frame.f_back  # type: ignore[assignment]
    return None


# --- the seam with the gateway core (0002): the core fills these three in --------------------------------------


def publish_snapshot(services: Services, config: ServiceConfig, compiled: Compiled) -> None:
    """INTEGRATION: build the service's snapshot from its configuration and compiled documents and swap it into
    the service's gateway listener. Until the core's `services.gateways` exists there is no listener to feed."""
    gateways = getattr(services, "gateways", None)
    if gateways is None:
        return
    from keyless.gateway.snapshot import build_snapshot

    gateways.swap(config.service["id"], build_snapshot(config, compiled))


def gateway_origin(services: Services, sid: str, name: str, port: int | None) -> tuple[str, int]:
    """INTEGRATION: the origin of the service's gateway listener (`http://127.0.0.1:{port}`), keeping `port` when
    it is free. Without the core's listener registry, a free port is reserved in the record for it."""
    gateways = getattr(services, "gateways", None)
    if gateways is not None:
        origin, bound = gateways.open(sid, name, port)
        return str(origin), int(bound)
    host = services.settings.host if services.settings.host not in ("0.0.0.0", "") else "127.0.0.1"  # noqa: S104
    if port is None:
        with socket.socket() as sock:
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
    return f"http://{host}:{port}", port


def retire_gateway(services: Services, sid: str) -> None:
    """INTEGRATION: the service is deleted; its listener stops answering."""
    gateways = getattr(services, "gateways", None)
    if gateways is not None:
        gateways.close(sid)
