"""The shape every APIM child type shares: check the body, stage the write with the catalog, hide private keys."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from keyless.arm.errors import ArmError
from keyless.arm.registry import ActionFn, ResourceType
from keyless.arm.resource_id import ResourcePath, resource_group_id
from keyless.arm.router import PutContext
from keyless.gateway.management._common import API_VERSIONS, properties, validation_error
from keyless.gateway.management.publish import Catalog

BuildFn = Callable[[PutContext, dict[str, Any]], Awaitable[dict[str, Any]]]
HideFn = Callable[[dict[str, Any]], dict[str, Any]]

# APIM's rule for entity ids (apis, products, subscriptions, ...): up to 256 characters, none of `*#&+:<>?`.
_FORBIDDEN = set("*#&+:<>?")


def check_name(name: str) -> None:
    if not name or len(name) > 256 or any(c in _FORBIDDEN for c in name):
        raise validation_error("name", f"Resource name '{name}' is invalid: up to 256 characters, none of *#&+:<>?")


def envelope(ctx: PutContext, type_name: str, stored: dict[str, Any]) -> dict[str, Any]:
    """What the router will store: the same id, name and type it adds."""
    name = ctx.existing["name"] if ctx.existing else ctx.path.name
    out: dict[str, Any] = {"id": ctx.resource_id, "name": name, "type": type_name}
    out.update(stored)
    return out


def public(body: dict[str, Any]) -> dict[str, Any]:
    """Keys starting with `_` are keyless's bookkeeping, never shown."""
    return {k: v for k, v in body.items() if not k.startswith("_")}


async def store_direct(catalog: Catalog, path: ResourcePath, body: dict[str, Any]) -> None:
    """Write a resource a POST action changed (the router stores only PUTs), staging it first."""
    await catalog.stage_put(body)
    assert path.resource_group is not None
    await catalog.services.resources.put(
        body["id"], path.parent_id, body["type"], body, resource_group_id(path.subscription, path.resource_group)
    )


def child_type(
    catalog: Catalog,
    type_name: str,
    build: BuildFn,
    *,
    hide: HideFn | None = None,
    actions: dict[str, ActionFn] | None = None,
    related: Callable[[dict[str, Any]], Awaitable[list[str]]] | None = None,
    check_names: bool = True,
    delete_async: bool = False,
) -> ResourceType:
    """A child of Microsoft.ApiManagement/service: `build(ctx, properties)` returns the body to store (or raises)."""

    async def prepare(ctx: PutContext) -> dict[str, Any]:
        if check_names and ctx.existing is None:
            check_name(ctx.path.name or "")
        stored = await build(ctx, properties(ctx))
        await catalog.stage_put(envelope(ctx, type_name, stored))
        return stored

    async def on_delete(body: dict[str, Any]) -> None:
        # `related`: resources elsewhere in the service that go with this one (an API's product links).
        extra = await related(body) if related else []
        await catalog.stage_delete(body["id"], extra)
        for resource_id in extra:
            await catalog.services.resources.delete_tree(resource_id)

    def view(body: dict[str, Any]) -> dict[str, Any]:
        shown = public(body)
        return hide(shown) if hide else shown

    return ResourceType(
        type_name,
        API_VERSIONS,
        prepare,
        on_delete=on_delete,
        actions=actions or {},
        view=view,
        tracked=False,
        delete_async=delete_async,
    )


def not_found(what: str) -> ArmError:
    """APIM's 404 for an entity a request refers to: `{"code": "ResourceNotFound", "message": "Api not found."}`."""
    return ArmError(404, "ResourceNotFound", f"{what} not found.")
