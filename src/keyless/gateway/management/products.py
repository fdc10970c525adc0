"""Microsoft.ApiManagement/service/products and the product's APIs (`products/{p}/apis/{api}` links)."""

from __future__ import annotations

from typing import Any

from keyless.arm.registry import ResourceType
from keyless.arm.router import DELETE_QUERY, PutContext
from keyless.gateway.management._base import child_type, not_found
from keyless.gateway.management._common import SERVICE, boolean, choice, service_id, string, validation_error
from keyless.gateway.management.config import SUBSCRIPTIONS
from keyless.gateway.management.publish import Catalog

TYPE = f"{SERVICE}/products"
LINK_TYPE = f"{SERVICE}/products/apis"
STATES = ("notPublished", "published")


def product_type(catalog: Catalog) -> ResourceType:
    async def build(ctx: PutContext, props: dict[str, Any]) -> dict[str, Any]:
        previous = (ctx.existing or {}).get("properties", {})
        display_name = string(props, "displayName", max_length=300) or previous.get("displayName")
        if not display_name:
            raise validation_error("displayName", "'displayName' must not be empty.")
        required = boolean(props, "subscriptionRequired", previous.get("subscriptionRequired", True))
        approval = boolean(props, "approvalRequired", previous.get("approvalRequired", False if required else None))
        if approval and not required:
            raise validation_error("approvalRequired", "Approval can only be required when a subscription is required.")
        limit = props.get("subscriptionsLimit", previous.get("subscriptionsLimit"))
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
            raise validation_error("subscriptionsLimit", "'subscriptionsLimit' must be a non-negative integer.")
        stored = {
            "displayName": display_name,
            "description": props.get("description", previous.get("description")),
            "terms": props.get("terms", previous.get("terms")),
            "subscriptionRequired": required,
            "approvalRequired": approval if required else None,
            "subscriptionsLimit": limit if required else None,
            "state": choice(props, "state", STATES, previous.get("state", "notPublished")),
        }
        return {"properties": {k: v for k, v in stored.items() if v is not None}}

    async def related(body: dict[str, Any]) -> list[str]:
        """`DELETE ...?deleteSubscriptions=true` takes the product's subscriptions with it (APIM's parameter);
        without it they stay, scoped to a product that no longer exists, and grant nothing."""
        if DELETE_QUERY.get().get("deleteSubscriptions", "").lower() != "true":
            return []
        config = await catalog.config(service_id(body["id"]))
        scope = body["id"].lower()
        return [s["id"] for s in config.of(SUBSCRIPTIONS) if str(s["properties"].get("scope", "")).lower() == scope]

    return child_type(catalog, TYPE, build, related=related)


def link_type(catalog: Catalog) -> ResourceType:
    """Adding an API to a product; the link answers with the API's contract, as APIM does."""

    async def build(ctx: PutContext, props: dict[str, Any]) -> dict[str, Any]:
        sid = service_id(ctx.resource_id)
        api = (await catalog.model(sid)).get(f"{sid}/apis/{ctx.path.name}".lower())
        if api is None:
            raise not_found("Api")
        return {"properties": dict(api["properties"])}

    return child_type(catalog, LINK_TYPE, build)
