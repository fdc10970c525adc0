"""Hands each APIM service's configuration to the gateway core: every write is checked against the whole service
(its documents recompiled as the write would leave them) and the service's snapshot is rebuilt and swapped.

The catalog keeps each service's stored bodies in memory so a write never re-reads the store and two writes in
flight cannot publish a snapshot missing the other (the model is replaced without an await in between). The
write is staged from `prepare`/`on_delete`, before the router stores it: a refused write changes nothing, and the
gateway sees exactly what the store will hold. Other keyless nodes on a shared store are not notified (yet).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from keyless.arm.errors import ArmError
from keyless.arm.router import DELETE_REQUEST
from keyless.gateway.management._common import SERVICE, name_of, relative, service_id
from keyless.gateway.management.compiling import Compiled, compile_service
from keyless.gateway.management.config import (
    API_SCHEMAS,
    APIS,
    BACKENDS,
    FRAGMENTS,
    NAMED_VALUES,
    OPERATIONS,
    PRODUCT_APIS,
    PRODUCTS,
    SCHEMAS,
    SUBSCRIPTIONS,
    VERSION_SETS,
    ServiceConfig,
)

if TYPE_CHECKING:
    from keyless.services import Services

log = logging.getLogger("keyless.apim")


class Catalog:
    """Each APIM service's resources as stored (lower-case id -> body), and the publishing of their snapshots."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._models: dict[str, dict[str, dict[str, Any]]] = {}
        self._compiled: dict[str, Compiled] = {}

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
        service = (await self.model(sid)).get(sid.lower())
        if service is not None and stored["id"].lower() != sid.lower():
            await self.ensure_listener(service)
        # From here to the commit nothing awaits (the model is cached), so no other write interleaves.
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
            self._compiled.pop(key, None)
            await retire_gateway(self.services, sid)
            return
        requested = requested_delete_id()
        if requested is not None and requested.lower() != key and key.startswith(requested.lower() + "/"):
            # Part of a cascade: the requested resource's own on_delete publishes once its subtree is gone.
            return
        current = await self.model(sid)
        if key in current and str(current[key]["type"]).lower() == FRAGMENTS:
            self._check_fragment_unused(sid, current, current[key])
        gone = [key, *(e.lower() for e in extra or [])]
        model = {k: v for k, v in current.items() if not any(k == g or k.startswith(g + "/") for g in gone)}
        self._commit(sid, model, None)

    def _commit(self, sid: str, model: dict[str, dict[str, Any]], written_id: str | None) -> Compiled:
        config = ServiceConfig.from_model(sid, model)
        compiled = compile_service(config, written_id, self._compiled.get(sid.lower()))
        publish_snapshot(self.services, config, compiled)
        self._models[sid.lower()] = model
        self._compiled[sid.lower()] = compiled
        return compiled

    def _check_fragment_unused(self, sid: str, model: dict[str, dict[str, Any]], fragment: dict[str, Any]) -> None:
        """APIM refuses to delete a fragment a policy includes, listing the policies (its exact wording)."""
        compiled = self._compiled.get(sid.lower()) or compile_service(ServiceConfig.from_model(sid, model))
        users = [
            relative(model[doc_id]["id"])
            for doc_id, doc in compiled.documents.items()
            if fragment["name"] in doc.fragments and doc_id in model
        ]
        if users:
            raise ArmError(
                400,
                "ValidationError",
                f"The Policy Fragment '{fragment['name']}' is used by the following entities:\r\n"
                + "".join(f"{u}\r\n" for u in sorted(users)),
            )

    async def publish_all(self) -> None:
        """Start every stored service's gateway listener on its kept port and publish its snapshot (start-up)."""
        instance = self.services.instance
        for body in await self.services.resources.by_type(SERVICE, instance.subscription_id):
            await self.ensure_listener(body)
            try:
                self._commit(body["id"], dict(await self.model(body["id"])), None)
            except ArmError as exc:
                # A stored document the current compiler refuses: that service keeps its empty snapshot; the
                # others start. Only ids are logged (messages may quote substituted named values).
                where = ", ".join(str(d.get("target")) for d in exc.details or [])
                log.warning("APIM service %s not published: %s at %s", body["id"], exc.code, where or "-")

    async def ensure_listener(self, service_body: dict[str, Any]) -> None:
        """The service's listener runs (after a restart the first write starts it if start-up did not)."""
        gateways = self.services.gateways
        if gateways is not None and gateways.get(str(service_body["name"])) is None:
            await gateway_origin(self.services, service_body, service_body.get("_gatewayPort"))


def requested_delete_id() -> str | None:
    """The id the running ARM DELETE was asked for: the router calls `on_delete` for each descendant first, and a
    cascade must not look like direct deletes."""
    return DELETE_REQUEST.get()


# --- the seam with the gateway core (0002): keyless.gateway.snapshot and keyless.gateway.app.Gateways -------------


def snapshot_of(config: ServiceConfig, compiled: Compiled) -> Any:
    """The gateway's immutable snapshot of one service, from its stored bodies and compiled documents."""
    from keyless.gateway.snapshot import build_snapshot

    operations: dict[str, list[dict[str, Any]]] = {}
    for op in config.of(OPERATIONS):
        operations.setdefault(op["id"].split("/")[-3], []).append(op)
    product_apis: dict[str, list[str]] = {}
    for link in config.of(PRODUCT_APIS):
        product_apis.setdefault(link["id"].split("/")[-3], []).append(link["name"])
    api_schemas: dict[str, list[dict[str, Any]]] = {}
    for schema in config.of(API_SCHEMAS):
        api_schemas.setdefault(schema["id"].split("/")[-3], []).append(schema)
    policies: dict[tuple[str, ...], Any] = {}
    for body, scope in config.policies():
        parts = body["id"].split("/")
        key = {
            "global": ("global",),
            "product": ("product", parts[-3]),
            "api": ("api", parts[-3]),
            "operation": ("operation", parts[-5], parts[-3]),
        }[scope]
        policies[key] = compiled.documents[body["id"].lower()]
    return build_snapshot(
        config.service,
        apis=config.of(APIS),
        operations=operations,
        products=config.of(PRODUCTS),
        product_apis=product_apis,
        subscriptions=config.of(SUBSCRIPTIONS),
        named_values=config.of(NAMED_VALUES),
        backends=config.of(BACKENDS),
        fragments=compiled.fragments,
        policies=policies,
        version_sets=config.of(VERSION_SETS),
        api_schemas=api_schemas,
        global_schemas=config.of(SCHEMAS),
    )


def publish_snapshot(services: Services, config: ServiceConfig, compiled: Compiled) -> None:
    """Swap the service's snapshot into its running gateway listener (started by `gateway_origin`)."""
    gateways = services.gateways
    name = str(config.service["name"])
    if gateways is None or gateways.get(name) is None:
        return
    gateways.swap(name, snapshot_of(config, compiled))


async def gateway_origin(services: Services, service_body: dict[str, Any], port: int | None) -> tuple[str, int]:
    """The origin of the service's gateway listener (`http://127.0.0.1:{port}`), started if it is not running;
    `port` (the one kept in the record) is reused when free."""
    gateways = services.gateways
    name = str(service_body["name"])
    if gateways is None:
        raise RuntimeError("the gateway listeners (services.gateways) are not set up")
    if gateways.get(name) is None:
        await gateways.start(name, snapshot_of(ServiceConfig(service_body), Compiled()), port)
    return str(gateways.url(name)), int(gateways.port(name))


async def retire_gateway(services: Services, sid: str) -> None:
    """The service is deleted; its listener stops answering."""
    if services.gateways is not None:
        await services.gateways.stop(name_of(sid))
