"""`Microsoft.Logic/workflows` (Consumption): the definition compiled on every PUT, its parameters, state,
version, access endpoint and managed identity; enable/disable and key regeneration as POST actions."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.responses import Response

from keyless.arm.errors import ArmError, bad_body
from keyless.arm.registry import ResourceType
from keyless.arm.router import ActionContext, PutContext
from keyless.identity.managed_identity.identity_block import apply_identity, remove_identity
from keyless.workflows import ids
from keyless.workflows.errors import DefinitionError
from keyless.workflows.management.plane import API_VERSIONS, WORKFLOWS, Plane
from keyless.workflows.management.subresources import workflow_path

STATES = ("Enabled", "Disabled")
KEY_TYPES = ("Primary", "Secondary")
# Logic Apps' naming rule: up to 80 letters, digits, '-', '_', '.', '(' and ')'.
NAME = re.compile(r"^[A-Za-z0-9_.()\-]{1,80}$")
SECURE_TYPES = frozenset({"securestring", "secureobject"})
# Consumption allows one user-assigned identity (reference §1.2/§7). Issue 4 also asks for system-assigned and
# user-assigned together, which keyless accepts although Consumption does not.
MAX_USER_ASSIGNED = 1


def _compile(definition: dict[str, Any], parameters: dict[str, Any]) -> None:
    """Validate through the interpreter's compiler; a DefinitionError becomes ARM's 400 with its JSON path."""
    try:
        from keyless.workflows.definition import compile_definition
    except ModuleNotFoundError:  # the compiler's entry point has not landed in this checkout yet
        return
    try:
        compile_definition(definition, path="properties.definition", parameters=parameters)
    except DefinitionError as exc:
        raise ArmError(400, exc.code, exc.message) from exc


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_body(
            "The request content was invalid and could not be deserialized: "
            f"'Error converting value {json.dumps(value)} to type 'System.Collections.Generic.Dictionary'. "
            f"Path '{where}'.'"
        )
    return value


def _state(value: Any) -> str:
    if value is None:
        return "Enabled"
    found = next((s for s in STATES if isinstance(value, str) and s.lower() == value.lower()), None)
    if found is None:
        # [unconfirmed] code and message
        raise ArmError(
            400,
            "InvalidWorkflowState",
            f"The workflow state '{value}' is not valid. The state must be 'Enabled' or 'Disabled'.",
        )
    return found


def endpoints_configuration() -> dict[str, Any]:
    """Where a workflow calls from and is called at: everything is local to keyless."""
    local = [{"address": "127.0.0.1"}]
    return {
        "workflow": {"outgoingIpAddresses": local, "accessEndpointIpAddresses": local},
        "connector": {"outgoingIpAddresses": local},
    }


def view(body: dict[str, Any]) -> dict[str, Any]:
    """What GET shows: secure parameter values are never returned (as Azure), private keys are hidden."""
    out = {k: v for k, v in body.items() if not k.startswith("_")}
    props = dict(out.get("properties") or {})
    declared = (props.get("definition") or {}).get("parameters") or {}
    params = props.get("parameters")
    if isinstance(params, dict):
        shown = {}
        for name, entry in params.items():
            spec = declared.get(name) if isinstance(declared, dict) else None
            types = {str((entry or {}).get("type", "")).lower(), str((spec or {}).get("type", "")).lower()}
            shown[name] = (
                {k: v for k, v in entry.items() if k != "value"}
                if types & SECURE_TYPES and isinstance(entry, dict)
                else entry
            )
        props["parameters"] = shown
    out["properties"] = props
    return out


def resource_type(plane: Plane) -> ResourceType:
    services = plane.services

    async def prepare(ctx: PutContext) -> dict[str, Any]:
        name = ctx.path.name or ""
        if ctx.existing is None and not NAME.match(name):
            # [unconfirmed] message
            raise ArmError(
                400,
                "InvalidResourceName",
                f"The resource name '{name}' is invalid. It can be up to 80 characters and contain letters, "
                "digits, hyphens, underscores, periods and parentheses.",
            )
        props = _object(ctx.body.get("properties", {}), "properties")
        if "definition" not in props or props["definition"] is None:
            # [unconfirmed] Azure's message for a workflow without a definition
            raise bad_body(
                "The request content was invalid and could not be deserialized: "
                "'Required property 'definition' not found in JSON. Path 'properties'.'."
            )
        definition = _object(props["definition"], "properties.definition")
        parameters = _object(props.get("parameters") or {}, "properties.parameters")
        state = _state(props.get("state"))
        _compile(definition, parameters)
        previous = (ctx.existing or {}).get("properties", {})
        now = ids.timestamp()
        version = ids.version_name()
        stored_props: dict[str, Any] = {
            "provisioningState": "Succeeded",
            "createdTime": previous.get("createdTime") or now,
            "changedTime": now,
            "state": state,
            "version": version,
            "endpointsConfiguration": endpoints_configuration(),
            "definition": definition,
            "parameters": parameters,
        }
        for passthrough in ("integrationAccount", "accessControl", "sku"):
            if props.get(passthrough) is not None:
                stored_props[passthrough] = props[passthrough]
        stored: dict[str, Any] = {"properties": stored_props}
        # Last: the identity step has side effects in the directory; everything above has been checked.
        identity = await apply_identity(
            services.directory,
            ctx.resource_id,
            (ctx.existing or {}).get("name", name),
            ctx.body.get("identity"),
            (ctx.existing or {}).get("identity"),
            max_user_assigned=MAX_USER_ASSIGNED,
        )
        if identity is not None and identity.get("type") != "None":
            stored["identity"] = identity
        # The access keys are made with the endpoint; nothing after this step refuses the request.
        stored_props["accessEndpoint"] = await plane.access_endpoint(ctx.resource_id)
        await plane.history.save_version(ctx.resource_id, version, definition, parameters)
        return stored

    async def on_delete(body: dict[str, Any]) -> None:
        await remove_identity(services.directory, body["id"])
        await plane.history.delete_workflow(body["id"])
        await plane.keys.delete(body["id"])

    async def set_state(ctx: ActionContext, state: str) -> None:
        patch = json.dumps({"properties": {"state": state}}).encode()
        await services.arm.patch(workflow_path(ctx.path), ctx.api_version, patch)
        await plane.changed(ctx.resource["id"])

    async def enable(ctx: ActionContext) -> Any:
        await set_state(ctx, "Enabled")
        return Response(status_code=200)

    async def disable(ctx: ActionContext) -> Any:
        await set_state(ctx, "Disabled")
        return Response(status_code=200)

    async def regenerate_access_key(ctx: ActionContext) -> Any:
        body = ctx.body if isinstance(ctx.body, dict) else {}
        key_type = body.get("keyType")
        found = next((k for k in KEY_TYPES if isinstance(key_type, str) and k.lower() == key_type.lower()), None)
        if found is None:
            # [unconfirmed] code and message
            raise ArmError(
                400, "InvalidKeyType", f"The key type '{key_type}' is not valid. It must be 'Primary' or 'Secondary'."
            )
        await plane.keys.regenerate(ctx.resource["id"], found)
        await plane.changed(ctx.resource["id"])  # the runtime drops the keys it holds: the old key stops at once
        return Response(status_code=200)

    return ResourceType(
        WORKFLOWS,
        API_VERSIONS,
        prepare,
        on_delete=on_delete,
        actions={"enable": enable, "disable": disable, "regenerateAccessKey": regenerate_access_key},
        view=view,
    )
