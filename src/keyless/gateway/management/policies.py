"""Policy documents at service, product, API and operation scope (`.../policies/policy`) and policy fragments.

A PUT is compiled with the gateway's compiler before anything is stored (the catalog does it for the whole
service); GET returns the text exactly as stored.
"""

from __future__ import annotations

from typing import Any

from keyless.arm.errors import ArmError
from keyless.arm.registry import ResourceType
from keyless.arm.router import PutContext
from keyless.gateway.management._base import child_type
from keyless.gateway.management._common import SERVICE, choice, refuse_unsupported, string, validation_error
from keyless.gateway.management.publish import Catalog

POLICY_TYPES = (
    f"{SERVICE}/policies",
    f"{SERVICE}/products/policies",
    f"{SERVICE}/apis/policies",
    f"{SERVICE}/apis/operations/policies",
)
FRAGMENT_TYPE = f"{SERVICE}/policyFragments"
FORMATS = ("xml", "rawxml")
LINK_FORMATS = ("xml-link", "rawxml-link")


def document(props: dict[str, Any]) -> dict[str, Any]:
    """`value` and `format` of a policy or fragment; link formats are refused (keyless fetches nothing)."""
    fmt = props.get("format")
    if isinstance(fmt, str) and fmt.lower() in LINK_FORMATS:
        raise refuse_unsupported(
            "format", fmt, "keyless makes no network calls; send the policy inline as xml or rawxml"
        )
    chosen = choice(props, "format", FORMATS, "xml")
    value = string(props, "value", required=True)
    return {"value": value, "format": chosen}


def policy_type(catalog: Catalog, type_name: str) -> ResourceType:
    async def build(ctx: PutContext, props: dict[str, Any]) -> dict[str, Any]:
        if (ctx.path.name or "").lower() != "policy":
            raise ArmError(404, "ResourceNotFound", f"Policy '{ctx.path.name}' not found; the policy id is 'policy'.")
        return {"properties": document(props)}

    return child_type(catalog, type_name, build, check_names=False)


def fragment_type(catalog: Catalog) -> ResourceType:
    async def build(ctx: PutContext, props: dict[str, Any]) -> dict[str, Any]:
        stored = document(props)
        description = props.get("description")
        if description is not None and (not isinstance(description, str) or len(description) > 1000):
            raise validation_error("description", "'description' must be a string of 1000 characters or less.")
        if description is not None:
            stored["description"] = description
        return {"properties": stored}

    return child_type(catalog, FRAGMENT_TYPE, build)
