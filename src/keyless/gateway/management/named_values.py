"""Microsoft.ApiManagement/service/namedValues: `{{name}}` values; secret ones never come back from GET."""

from __future__ import annotations

import re
from typing import Any

from keyless.arm.registry import ResourceType
from keyless.arm.router import ActionContext, PutContext
from keyless.gateway.management._base import child_type
from keyless.gateway.management._common import (
    SERVICE,
    boolean,
    refuse_unsupported,
    service_id,
    string,
    validation_error,
)
from keyless.gateway.management.config import NAMED_VALUES
from keyless.gateway.management.publish import Catalog

TYPE = f"{SERVICE}/namedValues"
DISPLAY_NAME = re.compile(r"^[A-Za-z0-9-._]+$")


def resource_type(catalog: Catalog) -> ResourceType:
    async def build(ctx: PutContext, props: dict[str, Any]) -> dict[str, Any]:
        previous = (ctx.existing or {}).get("properties", {})
        if props.get("keyVault") is not None:
            raise refuse_unsupported(
                "keyVault", "keyVault", "Key Vault references cannot be resolved locally; give the value instead"
            )
        display_name = string(props, "displayName", max_length=256) or previous.get("displayName")
        if not display_name:
            raise validation_error("displayName", "'displayName' must not be empty.")
        if not DISPLAY_NAME.match(display_name):
            raise validation_error("displayName", "Display name may contain only letters, digits, '-', '.' and '_'.")
        sid = service_id(ctx.resource_id)
        for other in (await catalog.config(sid)).of(NAMED_VALUES):
            same = other["properties"]["displayName"].lower() == display_name.lower()
            if same and other["id"].lower() != ctx.resource_id.lower():
                raise validation_error("displayName", f"Named value with display name '{display_name}' already exists.")
        value = string(props, "value", max_length=4096)
        if value is None:
            value = previous.get("value")
        if value is None:
            raise validation_error("value", "'value' must not be empty.")
        tags = props.get("tags", previous.get("tags"))
        if tags is not None and (not isinstance(tags, list) or not all(isinstance(t, str) for t in tags)):
            raise validation_error("tags", "'tags' must be a list of strings.")
        if tags is not None and len(tags) > 32:
            raise validation_error("tags", "At most 32 tags.")
        stored = {
            "displayName": display_name,
            "value": value,
            "secret": boolean(props, "secret", previous.get("secret", False)),
            "tags": tags,
        }
        return {"properties": {k: v for k, v in stored.items() if v is not None}}

    def hide(body: dict[str, Any]) -> dict[str, Any]:
        props = body.get("properties", {})
        if not props.get("secret"):
            return body
        return {**body, "properties": {k: v for k, v in props.items() if k != "value"}}

    async def list_value(ctx: ActionContext) -> dict[str, Any]:
        return {"value": ctx.resource["properties"]["value"]}

    return child_type(catalog, TYPE, build, hide=hide, actions={"listValue": list_value})
