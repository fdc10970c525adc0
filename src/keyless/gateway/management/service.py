"""Microsoft.ApiManagement/service: the APIM instance, its managed identity and its gateway's origin."""

from __future__ import annotations

import re
from typing import Any

from keyless.arm.errors import ArmError
from keyless.arm.registry import ResourceType
from keyless.arm.router import PutContext
from keyless.gateway.management._base import envelope, public
from keyless.gateway.management._common import (
    API_VERSIONS,
    SERVICE,
    properties,
    refuse_unsupported,
    string,
    validation_error,
)
from keyless.gateway.management.publish import Catalog, gateway_origin
from keyless.identity.managed_identity.identity_block import apply_identity, remove_identity
from keyless.platform import clock

SKUS = ("Developer", "Standard", "Premium", "Basic", "Consumption", "Isolated", "BasicV2", "StandardV2", "PremiumV2")
# The provider's naming rule for a service: 1-50 characters, a letter first, letters, digits and '-', no '-' last.
NAME = re.compile(r"^[a-zA-Z](?:[a-zA-Z0-9-]{0,48}[a-zA-Z0-9])?$")


def _sku(ctx: PutContext) -> dict[str, Any]:
    sku = ctx.body.get("sku")
    if not isinstance(sku, dict) or not sku.get("name"):
        raise validation_error("sku", "The sku name and capacity are required.")
    name = next((s for s in SKUS if isinstance(sku["name"], str) and s.lower() == sku["name"].lower()), None)
    if name is None:
        raise validation_error(
            "sku.name", f"Value '{sku['name']}' of 'sku.name' is invalid. Allowed: {', '.join(SKUS)}."
        )
    capacity = sku.get("capacity", 0 if name == "Consumption" else 1)
    if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 0:
        raise validation_error("sku.capacity", "The sku capacity must be a non-negative integer.")
    if name == "Consumption" and capacity != 0:
        raise validation_error("sku.capacity", "The Consumption sku must have capacity 0.")
    return {"name": name, "capacity": capacity}


def resource_type(catalog: Catalog) -> ResourceType:
    """The service type; its gateway origin and port survive re-PUTs (and restarts, when the port is free)."""
    services = catalog.services

    async def prepare(ctx: PutContext) -> dict[str, Any]:
        name = ctx.path.name or ""
        if ctx.existing is None and not NAME.match(name):
            raise ArmError(
                400,
                "InvalidResourceName",
                f"Resource name {name} is invalid. The name can be 1-50 characters long, must start with a letter, "
                "can contain only letters, numbers and hyphens, and must not end with a hyphen.",
            )
        props = properties(ctx)
        publisher_email = string(props, "publisherEmail", required=True, max_length=100)
        publisher_name = string(props, "publisherName", required=True, max_length=100)
        sku = _sku(ctx)
        previous = ctx.existing or {}
        old_props = previous.get("properties", {})
        minimal = {"id": ctx.resource_id, "name": previous.get("name", name), "location": ctx.body["location"]}
        origin, port = await gateway_origin(services, minimal, previous.get("_gatewayPort"))
        host = f"{name.lower()}.azure-api.net"
        stored_props: dict[str, Any] = {
            "publisherEmail": publisher_email,
            "publisherName": publisher_name,
            "notificationSenderEmail": props.get("notificationSenderEmail") or "apimgmt-noreply@mail.windowsazure.com",
            "provisioningState": "Succeeded",
            "targetProvisioningState": "",
            "createdAtUtc": old_props.get("createdAtUtc") or clock.iso(),
            "gatewayUrl": origin,
            "gatewayRegionalUrl": origin,
            "portalUrl": None,
            "developerPortalUrl": None,
            "managementApiUrl": None,
            "scmUrl": None,
            # One Proxy hostname, as Azure lists its default; custom domains are not served by keyless.
            "hostnameConfigurations": [
                {
                    "type": "Proxy",
                    "hostName": host,
                    "negotiateClientCertificate": False,
                    "defaultSslBinding": True,
                    "certificateSource": "BuiltIn",
                }
            ],
            "publicIPAddresses": ["127.0.0.1"],
            "virtualNetworkType": props.get("virtualNetworkType") or "None",
            "disableGateway": False,
            "publicNetworkAccess": props.get("publicNetworkAccess") or "Enabled",
            "platformVersion": "stv2",
            "customProperties": props.get("customProperties") or {},
            "apiVersionConstraint": props.get("apiVersionConstraint") or {},
        }
        # A PATCH sends back what GET showed; only hostnames other than the default one are refused.
        custom = [h for h in props.get("hostnameConfigurations") or [] if (h or {}).get("hostName", "").lower() != host]
        if custom:
            raise validation_error(
                "hostnameConfigurations", "custom hostname configurations are not supported by keyless"
            )
        for field in ("additionalLocations", "certificates", "virtualNetworkConfiguration"):
            if props.get(field):
                raise refuse_unsupported(field, field, "keyless runs one local gateway per service")
        stored: dict[str, Any] = {"sku": sku, "properties": stored_props, "_gatewayPort": port}
        # After the checks: it is the step with side effects (a system-assigned principal in the directory).
        identity = await apply_identity(
            services.directory, ctx.resource_id, name, ctx.body.get("identity"), previous.get("identity")
        )
        if identity is not None:
            stored["identity"] = identity
        stored["etag"] = f'"{int(clock.now())}"'
        staged = envelope(ctx, SERVICE, stored)
        staged.update(location=ctx.body["location"], tags=ctx.body.get("tags") or {})
        await catalog.stage_put(staged)
        return stored

    async def on_delete(body: dict[str, Any]) -> None:
        await catalog.stage_delete(body["id"])
        await remove_identity(services.directory, body["id"])

    return ResourceType(SERVICE, API_VERSIONS, prepare, on_delete=on_delete, view=public)
