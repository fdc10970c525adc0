"""Microsoft.ManagedIdentity/userAssignedIdentities: an ARM resource backed by a ManagedIdentity service principal."""

from __future__ import annotations

import re
from typing import Any

from keyless.arm.errors import ArmError, bad_body
from keyless.arm.registry import ResourceType
from keyless.arm.router import PutContext
from keyless.identity.directory import Directory

TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"

# Every api-version of the resource in azure-rest-api-specs (specification/msi); azure-mgmt-msi 7.x uses 2024-11-30.
API_VERSIONS = (
    "2015-08-31-preview",
    "2018-11-30",
    "2021-09-30-preview",
    "2022-01-31-preview",
    "2023-01-31",
    "2023-07-31-preview",
    "2024-11-30",
    "2025-01-31-preview",
)

# `properties.isolationScope` ("None" | "Regional", writable) exists from these api-versions on.
ISOLATION_SCOPE_VERSIONS = frozenset({"2024-11-30", "2025-01-31-preview"})
ISOLATION_SCOPES = ("None", "Regional")

# The MSI resource provider's naming rule: 3-128 characters, letters, digits, '-' and '_', starting alphanumeric.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$")


def _isolation_scope(ctx: PutContext) -> str:
    """The requested scope in api-versions that have it; older ones keep what the resource had."""
    previous = ((ctx.existing or {}).get("properties") or {}).get("isolationScope", "None")
    if ctx.api_version not in ISOLATION_SCOPE_VERSIONS:
        return str(previous)
    requested = (ctx.body.get("properties") or {}).get("isolationScope")
    if requested is None:
        return str(previous)
    match = next((s for s in ISOLATION_SCOPES if isinstance(requested, str) and s.lower() == requested.lower()), None)
    if match is None:
        raise ArmError(
            400,
            "InvalidIsolationScope",
            f"The value '{requested}' of 'properties.isolationScope' is invalid. "
            f"Allowed values are: {', '.join(ISOLATION_SCOPES)}.",
        )
    return match


def resource_type(directory: Directory) -> ResourceType:
    """The ARM type; its service principal is made on the first PUT and kept by later ones (same ids)."""

    async def prepare(ctx: PutContext) -> dict[str, Any]:
        name = ctx.path.name or ""
        if ctx.existing is None and not NAME.match(name):
            raise ArmError(
                400,
                "InvalidResourceName",
                f"Resource name {name} is invalid. The name can be 3-128 characters long, can contain only letters, "
                "numbers, hyphens and underscores, and must start with a letter or number.",
            )
        properties = ctx.body.get("properties")
        if properties is not None and not isinstance(properties, dict):
            raise bad_body(
                "The request content was invalid and could not be deserialized: "
                "'properties' must be a JSON object. Path 'properties'."
            )
        scope = _isolation_scope(ctx)
        # tenantId, principalId and clientId in the body are read-only: ARM ignores them, and so does this.
        sp = await directory.create_managed_identity(ctx.resource_id, name, explicit=True)
        return {
            "properties": {
                "tenantId": directory.tenant_id,
                "principalId": sp["id"],
                "clientId": sp["appId"],
                "isolationScope": scope,
            }
        }

    async def on_delete(body: dict[str, Any]) -> None:
        # The service principal goes with the resource, and its app role assignments with it.
        await directory.delete_managed_identity(str(body["id"]))

    def view(body: dict[str, Any], api_version: str) -> dict[str, Any]:
        if api_version in ISOLATION_SCOPE_VERSIONS:
            return body
        properties = {k: v for k, v in body.get("properties", {}).items() if k != "isolationScope"}
        return {**body, "properties": properties}

    # The MSI provider returns ids with `resourcegroups` in lower case (spec examples, and real principals'
    # alternativeNames); ARM compares ids case-insensitively, so both spellings address the resource.
    return ResourceType(
        TYPE, API_VERSIONS, prepare, on_delete=on_delete, versioned_view=view, group_segment="resourcegroups"
    )
