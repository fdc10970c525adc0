"""ARM's managed identity contract for host resources: the `identity` block of a PUT, and what DELETE undoes.

A host type (Microsoft.Logic/workflows, Microsoft.ApiManagement/service, ...) calls `apply_identity` from its
`prepare`, after its own checks (it is the step with side effects), and `remove_identity` from its `on_delete`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from keyless.arm.errors import ArmError, bad_body
from keyless.arm.resource_id import parse
from keyless.identity.directory import Directory

SYSTEM = "SystemAssigned"
USER = "UserAssigned"
BOTH = "SystemAssigned, UserAssigned"
NONE = "None"
ALL_TYPES = frozenset({NONE, SYSTEM, USER, BOTH})

# ARM accepts any case and either spelling of the combined type (some specs write it without the space).
_CANONICAL = {t.lower().replace(" ", ""): t for t in ALL_TYPES}

UAMI_TYPE = "microsoft.managedidentity/userassignedidentities"


class _HasDirectory(Protocol):
    directory: Directory


@dataclass(frozen=True)
class _Plan:
    type: str
    system: bool
    user: dict[str, dict[str, Any]]  # UAMI resource id (as created) -> its service principal


def _directory(services_or_directory: Directory | _HasDirectory) -> Directory:
    if isinstance(services_or_directory, Directory):
        return services_or_directory
    return services_or_directory.directory


def _failed(host_id: str, status: str, code: str, message: str) -> ArmError:
    """ARM's wrapper around an error from the managed identity service."""
    inner = json.dumps({"error": {"code": code, "message": message}}, separators=(",", ":"))
    return ArmError(
        400,
        "FailedIdentityOperation",
        f"Identity operation for resource '{host_id}' failed with error 'Failed to perform resource identity "
        f"operation. Status: '{status}'. Response: '{inner}'.'.",
    )


def _canonical_type(value: Any, allowed: frozenset[str]) -> str:
    found = _CANONICAL.get(value.lower().replace(" ", "")) if isinstance(value, str) else None
    if found is None or found not in allowed:
        supported = ", ".join(f"'{t}'" for t in sorted(allowed))
        raise ArmError(
            400,
            "InvalidIdentityType",
            f"The identity type '{value}' is not supported. Supported identity types are: {supported}.",
        )
    return found


async def _user_assigned(directory: Directory, host_id: str, requested: Any) -> dict[str, dict[str, Any]]:
    """The user-assigned identities named in a request (the whole set: those left out are unassigned). Keys must
    be existing UAMIs; values `{}`, or that identity's own principalId/clientId echoed from a GET; null drops it."""
    if not isinstance(requested, dict):
        raise bad_body(
            "The request content was invalid and could not be deserialized: "
            "'identity.userAssignedIdentities' must be a JSON object. Path 'identity.userAssignedIdentities'."
        )
    chosen: dict[str, dict[str, Any]] = {}
    for key, value in requested.items():
        if value is None:
            continue
        path = parse(key, method="GET")
        if path is None or path.resource_group is None or path.type_name.lower() != UAMI_TYPE or not path.name:
            raise ArmError(
                400,
                "LinkedInvalidPropertyId",
                f"Property id '{key}' at path 'identity.userAssignedIdentities' is invalid. Expect fully qualified "
                "resource Id that start with '/subscriptions/{subscriptionId}' or '/providers/"
                "{resourceProviderNamespace}/'.",
            )
        sp = await directory.managed_identity(key)
        if sp is None or "isExplicit=True" not in sp.get("alternativeNames", []):
            raise _failed(host_id, "NotFound", "NotFound", f"Resource '{key}' was not found.")
        given = dict(value) if isinstance(value, dict) else None
        actual = {"principalId": sp["id"], "clientId": sp["appId"]}
        if given is None or any(k not in actual or str(v).lower() != actual[k].lower() for k, v in given.items()):
            raise ArmError(
                400,
                "InvalidIdentityValues",
                f"Invalid value for the identities '{key}'. The 'UserAssignedIdentities' property keys should only "
                "be empty json objects, null or the resource existing property.",
            )
        canonical = next((n for n in sp.get("alternativeNames", []) if n.startswith("/")), key)
        chosen[canonical] = sp
    return chosen


async def _plan(
    directory: Directory,
    host_id: str,
    body_identity: dict[str, Any],
    allowed: frozenset[str],
    max_user_assigned: int | None,
) -> _Plan:
    identity_type = _canonical_type(body_identity.get("type"), allowed)
    system = identity_type in (SYSTEM, BOTH)
    wants_user = identity_type in (USER, BOTH)
    requested = body_identity.get("userAssignedIdentities")
    if requested is not None and not wants_user:
        raise _failed(
            host_id,
            "BadRequest",
            "BadRequest",
            "The request format was unexpected, a non-UserAssigned identity type should not contain: "
            "userAssignedIdentities",
        )
    user: dict[str, dict[str, Any]] = {}
    if wants_user:
        user = await _user_assigned(directory, host_id, {} if requested is None else requested)
        if not user:
            raise ArmError(
                400,
                "MissingIdentityIds",
                f"The identity ids must not be null or empty for '{identity_type}' identity type.",
            )
        if max_user_assigned is not None and len(user) > max_user_assigned:
            raise ArmError(
                400,
                "TooManyUserAssignedIdentities",
                f"Resource '{host_id}' can have at most {max_user_assigned} user-assigned identities; "
                f"the request names {len(user)}.",
            )
    return _Plan(identity_type, system, user)


async def apply_identity(
    services_or_directory: Directory | _HasDirectory,
    resource_id: str,
    name: str,
    body_identity: Any,
    existing_identity: dict[str, Any] | None,
    *,
    allowed: frozenset[str] = ALL_TYPES,
    max_user_assigned: int | None = None,
) -> dict[str, Any] | None:
    """The `identity` block to store on the host, after making or removing its system-assigned principal.

    `body_identity` None (absent or null) keeps what the resource had. Everything is checked before anything
    changes, so a refused request leaves the directory as it was. `allowed` and `max_user_assigned` let a host
    type narrow the contract as its resource provider does.
    """
    directory = _directory(services_or_directory)
    if body_identity is None:
        return existing_identity
    if not isinstance(body_identity, dict):
        raise bad_body(
            "The request content was invalid and could not be deserialized: "
            f"'identity' must be a JSON object, not {json.dumps(body_identity)}. Path 'identity'."
        )
    plan = await _plan(directory, resource_id, body_identity, allowed, max_user_assigned)
    block: dict[str, Any] = {"type": plan.type}
    if plan.system:
        sp = await directory.create_managed_identity(resource_id, name, explicit=False)
        block["principalId"] = sp["id"]
        block["tenantId"] = directory.tenant_id
    else:
        await directory.delete_managed_identity(resource_id)
    if plan.user:
        block["userAssignedIdentities"] = {
            uami_id: {"principalId": sp["id"], "clientId": sp["appId"]} for uami_id, sp in plan.user.items()
        }
    return block


async def remove_identity(services_or_directory: Directory | _HasDirectory, resource_id: str) -> None:
    """The host is deleted: its system-assigned principal leaves the directory (user-assigned ones stay)."""
    await _directory(services_or_directory).delete_managed_identity(resource_id)
