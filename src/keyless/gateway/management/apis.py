"""Microsoft.ApiManagement/service/apis: path, backend, protocols, subscription settings, OpenAPI import."""

from __future__ import annotations

from typing import Any

from keyless.arm.registry import ResourceType
from keyless.arm.resource_id import resource_group_id
from keyless.arm.router import PutContext
from keyless.gateway import openapi
from keyless.gateway.management._base import child_type
from keyless.gateway.management._common import (
    SERVICE,
    boolean,
    choice,
    refuse_unsupported,
    service_id,
    string,
    validation_error,
)
from keyless.gateway.management.config import PRODUCT_APIS, VERSION_SETS
from keyless.gateway.management.operations import TYPE as OPERATION_TYPE
from keyless.gateway.management.operations import operation_properties
from keyless.gateway.management.publish import Catalog
from keyless.gateway.management.schemas import API_TYPE as API_SCHEMA_TYPE
from keyless.gateway.management.schemas import api_properties as api_schema_properties

TYPE = f"{SERVICE}/apis"
PROTOCOLS = ("http", "https", "ws", "wss")
API_TYPES = ("http", "soap", "websocket", "graphql", "odata", "grpc")
IMPORT_FORMATS = ("openapi", "openapi+json", "swagger-json")
# Formats APIM reads from a URL or that describe non-OpenAPI APIs: keyless refuses them by name.
REFUSED_FORMATS = {
    "openapi-link": "keyless makes no network calls to fetch a specification; send it inline as 'openapi'",
    "openapi+json-link": "keyless makes no network calls to fetch a specification; send it inline as 'openapi+json'",
    "swagger-link-json": "keyless makes no network calls to fetch a specification; send it inline as 'swagger-json'",
    "wadl-link-json": "keyless makes no network calls to fetch a specification",
    "wsdl-link": "keyless makes no network calls to fetch a specification",
    "graphql-link": "keyless makes no network calls to fetch a specification",
    "odata-link": "keyless makes no network calls to fetch a specification",
    "wadl-xml": "WADL import is not implemented",
    "wsdl": "WSDL (SOAP) import is not implemented",
    "odata": "OData import is not implemented",
    "grpc": "gRPC import is not implemented",
    "grpc-link": "keyless makes no network calls to fetch a specification",
}
DEFAULT_KEY_NAMES = {"header": "Ocp-Apim-Subscription-Key", "query": "subscription-key"}


def base_name(api_name: str) -> str:
    """`orders;rev=2` -> `orders`: revisions of one API share its path."""
    return api_name.split(";", 1)[0].lower()


def _key_names(props: dict[str, Any], previous: dict[str, Any]) -> dict[str, str]:
    names = props.get("subscriptionKeyParameterNames")
    if names is None:
        return dict(previous.get("subscriptionKeyParameterNames") or DEFAULT_KEY_NAMES)
    if not isinstance(names, dict):
        raise validation_error("subscriptionKeyParameterNames", "Expected an object with 'header' and 'query'.")
    merged = {**DEFAULT_KEY_NAMES, **{k: v for k, v in names.items() if v}}
    if not all(isinstance(merged[k], str) for k in ("header", "query")):
        raise validation_error("subscriptionKeyParameterNames", "'header' and 'query' must be strings.")
    return {"header": merged["header"], "query": merged["query"]}


def _protocols(props: dict[str, Any], previous: dict[str, Any]) -> list[str]:
    value = props.get("protocols")
    if value is None:
        return list(previous.get("protocols") or ["https"])
    if not isinstance(value, list) or not value:
        raise validation_error("protocols", "At least one protocol is required.")
    return [str(choice({"protocols": p}, "protocols", PROTOCOLS, None)) for p in value]


async def _check_path(catalog: Catalog, ctx: PutContext, path: str, version_set: str | None) -> None:
    """A path belongs to one API (its revisions and its version set's other versions excepted)."""
    config = await catalog.config(service_id(ctx.resource_id))
    me = base_name(ctx.path.name or "")
    for other in config.of(TYPE.lower()):
        props = other["properties"]
        if base_name(other["name"]) == me or str(props.get("path", "")).lower() != path.lower():
            continue
        if version_set and str(props.get("apiVersionSetId") or "").lower() == version_set.lower():
            continue
        raise validation_error(
            "path",
            f"Cannot create API '{ctx.path.name}' with the same Path '{path}' as API '{other['name']}'  "
            "unless it's a part of the same version set",
        )


async def _version_set(catalog: Catalog, ctx: PutContext, given: str | None) -> str | None:
    """The version set's full id (APIOps writes `/apiVersionSets/x`); it must exist."""
    if given is None:
        return None
    sid = service_id(ctx.resource_id)
    full = f"{sid}{given}" if given.lower().startswith("/apiversionsets/") else given
    found = (await catalog.model(sid)).get(full.lower())
    if found is None or str(found["type"]).lower() != VERSION_SETS:
        raise validation_error("apiVersionSetId", f"Version set '{given}' not found.")
    return str(found["id"])


def _imported(ctx: PutContext, props: dict[str, Any]) -> openapi.ImportedApi | None:
    fmt = props.get("format")
    if fmt is None:
        if props.get("value") is not None:
            raise validation_error("format", "'format' is required with 'value'.")
        return None
    if not isinstance(fmt, str):
        raise validation_error("format", f"Value '{fmt}' of 'format' is invalid.")
    lowered = fmt.lower()
    if lowered in REFUSED_FORMATS:
        raise refuse_unsupported("format", fmt, REFUSED_FORMATS[lowered])
    if lowered not in IMPORT_FORMATS:
        raise validation_error("format", f"Value '{fmt}' of 'format' is invalid.")
    value = props.get("value")
    if not isinstance(value, str) or not value.strip():
        raise validation_error("value", "'value' must hold the specification.")
    try:
        return openapi.operations(value, lowered)
    except openapi.OpenApiError as exc:
        raise validation_error("value", str(exc)) from exc


def resource_type(catalog: Catalog) -> ResourceType:
    resources = catalog.services.resources

    async def build(ctx: PutContext, props: dict[str, Any]) -> dict[str, Any]:
        previous = (ctx.existing or {}).get("properties", {})
        if props.get("sourceApiId"):
            raise refuse_unsupported("sourceApiId", str(props["sourceApiId"]), "cloning an API is not implemented")
        imported = _imported(ctx, props)
        path = props.get("path", previous.get("path"))
        if not isinstance(path, str):
            raise validation_error("path", "'path' is required.")
        path = path.strip("/")
        if len(path) > 400:
            raise validation_error("path", "'path' must be 400 characters or less.")
        display_name = string(props, "displayName", max_length=300) or previous.get("displayName")
        display_name = display_name or (imported.title if imported else None)
        if not display_name:
            raise validation_error("displayName", "'displayName' must not be empty.")
        version_set = await _version_set(catalog, ctx, string(props, "apiVersionSetId"))
        await _check_path(catalog, ctx, path, version_set)
        name = ctx.path.name or ""
        is_revision = ";rev=" in name.lower()
        revision = string(props, "apiRevision", max_length=100) or previous.get("apiRevision")
        if revision is None:
            revision = name.lower().split(";rev=", 1)[1] if is_revision else "1"
        service_url = string(props, "serviceUrl", max_length=2000)
        if service_url is None:
            service_url = previous.get("serviceUrl") or (imported.server_url if imported else None)
        if service_url is not None and not service_url.lower().startswith(("http://", "https://", "ws://", "wss://")):
            raise validation_error("serviceUrl", f"'{service_url}' is not an absolute URL.")
        stored_props: dict[str, Any] = {
            "displayName": display_name,
            "apiRevision": revision,
            "description": props.get(
                "description", previous.get("description", imported.description if imported else None)
            ),
            "subscriptionRequired": boolean(props, "subscriptionRequired", previous.get("subscriptionRequired", True)),
            "serviceUrl": service_url,
            "path": path,
            "protocols": _protocols(props, previous),
            "subscriptionKeyParameterNames": _key_names(props, previous),
            "authenticationSettings": props.get("authenticationSettings") or {},
            "isCurrent": boolean(props, "isCurrent", previous.get("isCurrent", not is_revision)),
            "isOnline": True,
            "type": choice(props, "type", API_TYPES, previous.get("type", "http")),
            "apiRevisionDescription": props.get("apiRevisionDescription"),
            "apiVersion": props.get("apiVersion"),
            "apiVersionDescription": props.get("apiVersionDescription"),
            "apiVersionSetId": version_set,
            "contact": props.get("contact"),
            "license": props.get("license"),
            "termsOfServiceUrl": props.get("termsOfServiceUrl"),
        }
        stored = {"properties": {k: v for k, v in stored_props.items() if v is not None}}
        await _write_related(ctx, imported, stored)
        return stored

    async def _write_related(ctx: PutContext, imported: openapi.ImportedApi | None, stored: dict[str, Any]) -> None:
        """An import replaces the API's operations (policies of the ones kept stay with them); the product links,
        which answer with the API's contract, follow the new one."""
        assert ctx.path.resource_group is not None
        bodies = [
            {
                "id": f"{ctx.resource_id}/operations/{op['name']}",
                "name": op["name"],
                "type": OPERATION_TYPE,
                "properties": operation_properties(op["properties"]),
            }
            for op in (imported.operations if imported else [])
        ]
        # The specification's definitions become an API schema the representations name (validate-content).
        bodies += [
            {
                "id": f"{ctx.resource_id}/schemas/{schema['name']}",
                "name": schema["name"],
                "type": API_SCHEMA_TYPE,
                "properties": api_schema_properties(schema["properties"]),
            }
            for schema in (imported.schemas if imported else [])
        ]
        removed: list[str] = []
        if imported is not None:
            kept = {b["id"].lower() for b in bodies}
            existing = await resources.children(ctx.resource_id, OPERATION_TYPE)
            removed = [e["id"] for e in existing if e["id"].lower() not in kept]
        name = ctx.existing["name"] if ctx.existing else ctx.path.name
        config = await catalog.config(service_id(ctx.resource_id))
        bodies += [
            {**link, "properties": dict(stored["properties"])}
            for link in config.of(PRODUCT_APIS)
            if link["name"].lower() == str(name).lower()
        ]
        if not bodies and not removed:
            return
        api_body = {"id": ctx.resource_id, "name": name, "type": TYPE, **stored}
        await catalog.stage_put(api_body, also=bodies, removed=removed)
        group = resource_group_id(ctx.path.subscription, ctx.path.resource_group)
        for gone in removed:
            await resources.delete_tree(gone)
        for body in bodies:
            await resources.put(body["id"], body["id"].rsplit("/", 2)[0], body["type"], body, group)

    async def related(body: dict[str, Any]) -> list[str]:
        """The API leaves every product it was in."""
        config = await catalog.config(service_id(body["id"]))
        return [link["id"] for link in config.of(PRODUCT_APIS) if link["name"].lower() == body["name"].lower()]

    # The SDK deletes APIs as a long-running operation (202/204 only).
    return child_type(catalog, TYPE, build, related=related, delete_async=True)
