"""The generic ARM router: resource ids, api-version, PUT/GET/PATCH/DELETE, lists with nextLink, POST actions.

Services register `ResourceType`s; the router owns storage, paging, errors and authorization, so a type
module holds only what is particular to it.
"""

from __future__ import annotations

import asyncio
import json
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import delete, select

from keyless.arm import errors
from keyless.arm.errors import ArmError
from keyless.arm.registry import Registry, ResourceType
from keyless.arm.resource_id import ResourcePath, resource_group_id
from keyless.platform import clock
from keyless.platform.models import ArmResource
from keyless.platform.store import Store

PAGE_SIZE = 100

# The id a running DELETE was asked for, so an `on_delete` can tell a cascade from a direct delete.
DELETE_REQUEST: ContextVar[str | None] = ContextVar("DELETE_REQUEST", default=None)
# The query of that DELETE (APIM's `deleteSubscriptions=true` on a product, say), for the types that honour one.
DELETE_QUERY: ContextVar[dict[str, str]] = ContextVar("DELETE_QUERY", default={})  # noqa: B039 - never mutated


@dataclass
class PutContext:
    path: ResourcePath
    resource_id: str
    body: dict[str, Any]
    existing: dict[str, Any] | None
    api_version: str
    parent: dict[str, Any] | None


@dataclass
class ActionContext:
    path: ResourcePath
    resource_id: str
    resource: dict[str, Any]
    body: Any
    api_version: str
    query: dict[str, str]


def parse_json_body(raw: bytes) -> Any:
    """The body, or ARM's InvalidRequestContent with Json.NET's line and position."""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise errors.bad_body(
            "The request content was invalid and could not be deserialized: "
            f"'{exc.msg}. Path '', line {exc.lineno}, position {exc.colno}.'"
        ) from exc
    except UnicodeDecodeError as exc:
        raise errors.bad_body(f"The request content was invalid and could not be deserialized: '{exc}'.") from exc


class ResourceStore:
    """ARM resources in the store, keyed case-insensitively as ARM does."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # Bumped on every write by this process, so in-memory views of resources know to reload.
        self.generation = 0

    async def get(self, resource_id: str) -> dict[str, Any] | None:
        async with self.store.session() as session:
            row = await session.get(ArmResource, resource_id.lower())
        return dict(row.body) if row else None

    async def put(
        self, resource_id: str, parent_id: str, type_name: str, body: dict[str, Any], resource_group_id: str | None
    ) -> bool:
        """Store `body`; True when the resource was created."""
        now = clock.now()
        self.generation += 1
        async with self.store.transaction() as session:
            row = await session.get(ArmResource, resource_id.lower())
            if row is None:
                session.add(
                    ArmResource(
                        key=resource_id.lower(),
                        parent_key=parent_id.lower(),
                        type=type_name.lower(),
                        resource_group_key=resource_group_id.lower() if resource_group_id else None,
                        body=body,
                        created=now,
                        updated=now,
                    )
                )
                return True
            row.body = body
            row.updated = now
            return False

    async def children(self, parent_id: str, type_name: str | None = None) -> list[dict[str, Any]]:
        query = select(ArmResource).where(ArmResource.parent_key == parent_id.lower()).order_by(ArmResource.created)
        if type_name is not None:
            query = query.where(ArmResource.type == type_name.lower())
        async with self.store.session() as session:
            rows = (await session.scalars(query)).all()
        return [dict(r.body) for r in rows]

    async def by_type(
        self, type_name: str, subscription: str, resource_group: str | None = None
    ) -> list[dict[str, Any]]:
        query = select(ArmResource).where(ArmResource.type == type_name.lower()).order_by(ArmResource.created)
        if resource_group is not None:
            query = query.where(
                ArmResource.resource_group_key == resource_group_id(subscription, resource_group).lower()
            )
        else:
            query = query.where(ArmResource.key.startswith(f"/subscriptions/{subscription.lower()}/", autoescape=True))
        async with self.store.session() as session:
            rows = (await session.scalars(query)).all()
        return [dict(r.body) for r in rows]

    async def descendants(self, resource_id: str) -> list[ArmResource]:
        prefix = resource_id.lower() + "/"
        async with self.store.session() as session:
            rows = (
                await session.scalars(select(ArmResource).where(ArmResource.key.startswith(prefix, autoescape=True)))
            ).all()
        return list(rows)

    async def delete_tree(self, resource_id: str) -> None:
        key = resource_id.lower()
        self.generation += 1
        async with self.store.transaction() as session:
            await session.execute(delete(ArmResource).where(ArmResource.key.startswith(key + "/", autoescape=True)))
            await session.execute(delete(ArmResource).where(ArmResource.key == key))


class ArmRouter:
    def __init__(self, registry: Registry, resources: ResourceStore, subscription_id: str, location: str) -> None:
        self.registry = registry
        self.resources = resources
        self.subscription_id = subscription_id
        self.location = location
        # PUTs under one parent run one at a time in this process: a type's `prepare` checks its siblings (an API
        # path unique in its service, an operation's method and template in its API) and must not race another
        # PUT between that check and the write.
        self._put_locks: dict[str, asyncio.Lock] = {}

    def _type(self, path: ResourcePath, api_version: str) -> ResourceType:
        type_name = path.type_name
        rtype = self.registry.get(type_name)
        if rtype is None:
            namespace = path.namespace or ""
            if namespace.lower() not in {n.lower() for n in self.registry.namespaces()}:
                raise ArmError(400, "InvalidResourceNamespace", f"The resource namespace '{namespace}' is invalid.")
            raise ArmError(
                404,
                "InvalidResourceType",
                f"The resource type '{type_name.split('/', 1)[1]}' could not be found in the namespace "
                f"'{namespace}' for api version '{api_version}'.",
            )
        if api_version not in rtype.api_versions:
            raise ArmError(
                400,
                "NoRegisteredProviderFound",
                f"No registered resource provider found for location '{self.location}' and API version "
                f"'{api_version}' for type '{rtype.type.split('/', 1)[1]}'. The supported api-versions are "
                f"'{', '.join(rtype.api_versions)}'. The supported locations are '{self.location}'.",
            )
        return rtype

    async def check_scope(self, path: ResourcePath) -> None:
        if path.subscription.lower() != self.subscription_id.lower():
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{path.subscription}' could not be found.")
        if path.resource_group is not None:
            group = await self.resources.get(resource_group_id(path.subscription, path.resource_group))
            if group is None:
                raise ArmError(
                    404, "ResourceGroupNotFound", f"Resource group '{path.resource_group}' could not be found."
                )

    async def _parent(self, path: ResourcePath) -> dict[str, Any] | None:
        if len(path.pairs) <= 1:
            return None
        parent_id = path.parent_id
        parent = await self.resources.get(parent_id)
        if parent is None:
            parent_path = ResourcePath(path.subscription, path.resource_group, path.namespace, path.pairs[:-1])
            raise errors.resource_not_found(parent_path.type_name, _names(parent_path), path.resource_group)
        return parent

    def _view(
        self, rtype: ResourceType, body: dict[str, Any], api_version: str, query: dict[str, str] | None = None
    ) -> dict[str, Any]:
        if rtype.versioned_view:
            shown = rtype.versioned_view(body, api_version)
        else:
            shown = rtype.view(body) if rtype.view else body
        if query is not None and rtype.query_view is not None:
            shown = rtype.query_view(shown, query)
        return shown

    def _single(self, path: ResourcePath, api_version: str) -> ResourceType:
        """The type of a single-resource path; every type keyless serves lives in a resource group."""
        rtype = self._type(path, api_version)
        if path.resource_group is None:
            raise ArmError(
                404,
                "InvalidResourceType",
                f"The resource type '{rtype.type.split('/', 1)[1]}' could not be found in the namespace "
                f"'{path.namespace}' for api version '{api_version}' at subscription scope.",
            )
        return rtype

    async def get(self, path: ResourcePath, api_version: str, query: dict[str, str] | None = None) -> dict[str, Any]:
        await self.check_scope(path)
        rtype = self._single(path, api_version)
        body = await self.resources.get(path.resource_id())
        if body is None:
            raise errors.resource_not_found(rtype.type, _names(path), path.resource_group)
        return self._view(rtype, body, api_version, query or {})

    async def put(self, path: ResourcePath, api_version: str, raw: bytes) -> tuple[dict[str, Any], bool]:
        await self.check_scope(path)
        rtype = self._single(path, api_version)
        body = parse_json_body(raw)
        if body is None and not rtype.tracked:
            # A proxy resource's PUT may carry no body at all (the SDK's product-API link); its type decides.
            body = {}
        if not isinstance(body, dict):
            raise errors.bad_body(
                "The request content was invalid and could not be deserialized: 'the body must be a JSON object.'"
            )
        parent = await self._parent(path)
        if rtype.tracked:
            check_tracked(body)
        async with self._put_locks.setdefault(path.parent_id.lower(), asyncio.Lock()):
            existing = await self.resources.get(path.resource_id())
            # ARM keeps the id as first written; a later request spelling it in another case addresses the same one.
            resource_id = existing["id"] if existing else _provider_id(rtype, path)
            ctx = PutContext(path, resource_id, body, existing, api_version, parent)
            stored = await rtype.prepare(ctx)
            stored = self._envelope(rtype, path, resource_id, stored, body, existing)
            created = await self.resources.put(
                resource_id,
                path.parent_id,
                rtype.type,
                stored,
                resource_group_id(path.subscription, path.resource_group) if path.resource_group else None,
            )
        return self._view(rtype, stored, api_version), created

    def _envelope(
        self,
        rtype: ResourceType,
        path: ResourcePath,
        resource_id: str,
        stored: dict[str, Any],
        body: dict[str, Any],
        existing: dict[str, Any] | None,
    ) -> dict[str, Any]:
        name = existing["name"] if existing else path.name
        out: dict[str, Any] = {"id": resource_id, "name": name, "type": rtype.type}
        if rtype.tracked:
            out["location"] = body["location"]
            out["tags"] = body.get("tags") or {}
        out.update({k: v for k, v in stored.items() if k not in ("id", "name", "type")})
        return out

    async def patch(self, path: ResourcePath, api_version: str, raw: bytes) -> dict[str, Any]:
        await self.check_scope(path)
        rtype = self._single(path, api_version)
        existing = await self.resources.get(path.resource_id())
        if existing is None:
            raise errors.resource_not_found(rtype.type, _names(path), path.resource_group)
        patch = parse_json_body(raw)
        if not isinstance(patch, dict):
            raise errors.bad_body(
                "The request content was invalid and could not be deserialized: 'the body must be a JSON object.'"
            )
        merged = merge_patch(existing, patch)
        # Tags in a PATCH replace the whole set, as ARM's update operations do.
        if isinstance(patch.get("tags"), dict):
            merged["tags"] = patch["tags"]
        _patch_identity(merged, patch)
        view, _ = await self.put(path, api_version, json.dumps(merged).encode())
        return view

    async def delete(self, path: ResourcePath, api_version: str, query: dict[str, str] | None = None) -> bool:
        await self.check_scope(path)
        rtype = self._single(path, api_version)
        body = await self.resources.get(path.resource_id())
        if body is None:
            return False
        resource_id = body["id"]
        token = DELETE_REQUEST.set(resource_id)
        query_token = DELETE_QUERY.set(dict(query or {}))
        try:
            for row in sorted(await self.resources.descendants(resource_id), key=lambda r: -len(r.key)):
                child_type = self.registry.get(row.type)
                if child_type and child_type.on_delete:
                    await child_type.on_delete(dict(row.body))
            if rtype.on_delete:
                await rtype.on_delete(body)
        finally:
            DELETE_REQUEST.reset(token)
            DELETE_QUERY.reset(query_token)
        await self.resources.delete_tree(resource_id)
        return True

    async def list(self, path: ResourcePath, api_version: str, base_url: str, query: dict[str, str]) -> dict[str, Any]:
        await self.check_scope(path)
        rtype = self._type(path, api_version)
        if len(path.pairs) > 1:
            await self._parent(path)
            items = await self.resources.children(path.parent_id, rtype.type)
        else:
            items = await self.resources.by_type(rtype.type, path.subscription, path.resource_group)
        return page([self._view(rtype, i, api_version, query) for i in items], base_url, query)

    async def action(self, path: ResourcePath, api_version: str, raw: bytes, query: dict[str, str]) -> Any:
        await self.check_scope(path)
        rtype = self._single(path, api_version)
        assert path.action is not None
        handler = next((fn for name, fn in rtype.actions.items() if name.lower() == path.action.lower()), None)
        if handler is None:
            raise ArmError(
                404,
                "InvalidResourceType",
                f"The resource type '{rtype.type.split('/', 1)[1]}/{path.action}' could not be found in the "
                f"namespace '{path.namespace}' for api version '{api_version}'.",
            )
        resource_id = path.resource_id()
        resource = await self.resources.get(resource_id)
        if resource is None:
            raise errors.resource_not_found(rtype.type, _names(path), path.resource_group)
        return await handler(ActionContext(path, resource_id, resource, parse_json_body(raw), api_version, query))


def _provider_id(rtype: ResourceType, path: ResourcePath) -> str:
    resource_id = path.resource_id()
    if path.resource_group is None or rtype.group_segment == "resourceGroups":
        return resource_id
    return resource_id.replace("/resourceGroups/", f"/{rtype.group_segment}/", 1)


def check_tracked(body: dict[str, Any]) -> None:
    """A tracked resource's PUT names its location and, if any, string-valued tags."""
    if not body.get("location"):
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    if not isinstance(body["location"], str):
        raise errors.bad_body(
            "The request content was invalid and could not be deserialized: "
            f"'Error converting value {json.dumps(body['location'])} to type 'System.String'. Path 'location'.'"
        )
    tags = body.get("tags")
    if tags is None:
        return
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        raise errors.bad_body(
            "The request content was invalid and could not be deserialized: 'Error converting value "
            f"{json.dumps(tags)} to type 'System.Collections.Generic.Dictionary`2[System.String,System.String]'. "
            "Path 'tags'.'"
        )


def _patch_identity(merged: dict[str, Any], patch: dict[str, Any]) -> None:
    """A PATCH that sets an identity type without user-assigned identities drops the ones the resource had."""
    identity = patch.get("identity")
    if not isinstance(identity, dict) or not isinstance(identity.get("type"), str):
        return
    if "userassigned" not in identity["type"].lower() and "userAssignedIdentities" not in identity:
        block = merged.get("identity")
        if isinstance(block, dict):
            block.pop("userAssignedIdentities", None)


def _names(path: ResourcePath) -> str:
    return "/".join(n for _, n in path.pairs if n is not None)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch, which ARM's PATCH follows for the properties it lets change."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def page(items: list[dict[str, Any]], base_url: str, query: dict[str, str]) -> dict[str, Any]:
    """A page of `$top` items (default 100) from `$skiptoken`, with `nextLink` when more remain."""
    try:
        start = max(0, int(query.get("$skiptoken", "0")))
    except ValueError as exc:
        raise ArmError(400, "InvalidSkipToken", f"The skip token '{query.get('$skiptoken')}' is invalid.") from exc
    try:
        top = int(query.get("$top", str(PAGE_SIZE)))
    except ValueError as exc:
        raise ArmError(400, "InvalidTopValue", f"The value '{query.get('$top')}' of '$top' is invalid.") from exc
    top = max(1, min(top, 1000))
    body: dict[str, Any] = {"value": items[start : start + top]}
    if start + top < len(items):
        next_query = {k: v for k, v in query.items() if k != "$skiptoken"}
        next_query["$skiptoken"] = str(start + top)
        body["nextLink"] = f"{base_url}?{urlencode(next_query)}"
    return body
