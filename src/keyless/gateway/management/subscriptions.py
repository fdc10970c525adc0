"""Microsoft.ApiManagement/service/subscriptions: scope, state, keys (generated, shown only by listSecrets)."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.responses import Response

from keyless.arm.registry import ResourceType
from keyless.arm.router import ActionContext, PutContext
from keyless.gateway.management._base import child_type, store_direct
from keyless.gateway.management._common import SERVICE, boolean, choice, relative, service_id, string, validation_error
from keyless.gateway.management.publish import Catalog
from keyless.platform import clock

TYPE = f"{SERVICE}/subscriptions"
STATES = ("suspended", "active", "expired", "submitted", "rejected", "cancelled")
KEYS = ("primaryKey", "secondaryKey")


def new_key() -> str:
    """32 lower-case hex characters, like the keys Azure generates."""
    return secrets.token_hex(16)


async def _scope(catalog: Catalog, ctx: PutContext, scope: str) -> str:
    """The full id of `/apis`, `/apis/{id}`, `/products/{id}` (relative or full); the entity must exist."""
    sid = service_id(ctx.resource_id)
    rel = relative(scope) if scope.lower().startswith("/subscriptions/") else scope
    if scope.lower().startswith("/subscriptions/") and service_id(scope).lower() != sid.lower():
        raise validation_error("scope", f"Scope '{scope}' is not in this service.")
    parts = [p for p in rel.split("/") if p]
    kind = parts[0].lower() if parts else ""
    if parts == ["apis"] or (kind == "apis" and len(parts) == 1):
        return f"{sid}/apis"
    if kind in ("apis", "products") and len(parts) == 2:
        found = (await catalog.model(sid)).get(f"{sid}/{kind}/{parts[1]}".lower())
        if found is None:
            what = "Api" if kind == "apis" else "Product"
            raise validation_error("scope", f"{what} '{parts[1]}' of scope '{scope}' not found.")
        return str(found["id"])
    raise validation_error("scope", f"Scope '{scope}' is invalid; expected /apis, /apis/{{id}} or /products/{{id}}.")


def _key(props: dict[str, Any], field: str, previous: dict[str, Any]) -> str:
    value = string(props, field, max_length=256)
    return value or str(previous.get(field) or new_key())


def resource_type(catalog: Catalog) -> ResourceType:
    async def build(ctx: PutContext, props: dict[str, Any]) -> dict[str, Any]:
        previous = (ctx.existing or {}).get("properties", {})
        display_name = string(props, "displayName", max_length=100) or previous.get("displayName")
        if not display_name:
            raise validation_error("displayName", "'displayName' must not be empty.")
        scope = string(props, "scope") or previous.get("scope")
        if not scope:
            raise validation_error("scope", "'scope' must not be empty.")
        now = clock.iso()
        stored = {
            "ownerId": props.get("ownerId", previous.get("ownerId")),
            "scope": await _scope(catalog, ctx, scope),
            "displayName": display_name,
            # The spec: "If no value is specified, subscription is created with Submitted state."
            "state": choice(props, "state", STATES, previous.get("state", "submitted")),
            "createdDate": previous.get("createdDate") or now,
            "allowTracing": boolean(props, "allowTracing", previous.get("allowTracing", False)),
            "primaryKey": _key(props, "primaryKey", previous),
            "secondaryKey": _key(props, "secondaryKey", previous),
            "stateComment": props.get("stateComment", previous.get("stateComment")),
        }
        return {"properties": {k: v for k, v in stored.items() if v is not None}}

    def hide(body: dict[str, Any]) -> dict[str, Any]:
        props = {k: v for k, v in body.get("properties", {}).items() if k not in KEYS}
        return {**body, "properties": props}

    async def list_secrets(ctx: ActionContext) -> dict[str, Any]:
        props = ctx.resource["properties"]
        return {"primaryKey": props["primaryKey"], "secondaryKey": props["secondaryKey"]}

    def regenerate(field: str) -> Any:
        async def action(ctx: ActionContext) -> Response:
            body = {**ctx.resource, "properties": {**ctx.resource["properties"], field: new_key()}}
            await store_direct(catalog, ctx.path, body)
            return Response(status_code=204)

        return action

    actions = {
        "listSecrets": list_secrets,
        "regeneratePrimaryKey": regenerate("primaryKey"),
        "regenerateSecondaryKey": regenerate("secondaryKey"),
    }
    return child_type(catalog, TYPE, build, hide=hide, actions=actions)
