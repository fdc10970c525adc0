"""Microsoft.ApiManagement/service/backends (what `set-backend-service backend-id` names) and apiVersionSets."""

from __future__ import annotations

from typing import Any

from keyless.arm.registry import ResourceType
from keyless.arm.router import PutContext
from keyless.gateway.management._base import child_type
from keyless.gateway.management._common import SERVICE, choice, string, validation_error
from keyless.gateway.management.publish import Catalog

TYPE = f"{SERVICE}/backends"
VERSION_SET_TYPE = f"{SERVICE}/apiVersionSets"
PROTOCOLS = ("http", "soap")
# Properties stored as given and handed to the gateway: credentials, tls, proxy, circuitBreaker, pool, type.
PASSED = ("description", "title", "resourceId", "properties", "credentials", "proxy", "tls", "circuitBreaker", "pool")
SCHEMES = ("Segment", "Query", "Header")


def backend_type(catalog: Catalog) -> ResourceType:
    async def build(ctx: PutContext, props: dict[str, Any]) -> dict[str, Any]:
        kind = choice(props, "type", ("Single", "Pool"), "Single")
        url = string(props, "url", required=kind == "Single", max_length=2000)
        if url is not None and not url.lower().startswith(("http://", "https://")):
            raise validation_error("url", f"'{url}' is not an absolute http(s) URL.")
        stored: dict[str, Any] = {"url": url, "protocol": choice(props, "protocol", PROTOCOLS, None), "type": kind}
        if stored["protocol"] is None and kind == "Single":
            raise validation_error("protocol", "'protocol' must not be empty.")
        for key in PASSED:
            if props.get(key) is not None:
                stored[key] = props[key]
        return {"properties": {k: v for k, v in stored.items() if v is not None}}

    return child_type(catalog, TYPE, build)


def version_set_type(catalog: Catalog) -> ResourceType:
    """An API version set: the gateway routes its APIs by path segment, header or query, as its scheme says."""

    async def build(ctx: PutContext, props: dict[str, Any]) -> dict[str, Any]:
        display_name = string(props, "displayName", required=True, max_length=100)
        scheme = choice(props, "versioningScheme", SCHEMES, None)
        if scheme is None:
            raise validation_error("versioningScheme", "'versioningScheme' must not be empty.")
        query = string(props, "versionQueryName", required=scheme == "Query", max_length=100)
        header = string(props, "versionHeaderName", required=scheme == "Header", max_length=100)
        stored = {
            "displayName": display_name,
            "description": props.get("description"),
            "versioningScheme": scheme,
            "versionQueryName": query,
            "versionHeaderName": header,
        }
        return {"properties": {k: v for k, v in stored.items() if v is not None}}

    return child_type(catalog, VERSION_SET_TYPE, build)
