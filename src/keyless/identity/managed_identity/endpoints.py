"""Managed identity token endpoints on the identity listener, one per host and protocol, and keyless's own
management call that hands a host's endpoints out (`keyless identity env`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from keyless.arm import errors as arm_errors
from keyless.arm.errors import ArmError
from keyless.arm.resource_id import parse
from keyless.identity.bearer import Caller
from keyless.identity.managed_identity.app_service import AppServiceProtocol
from keyless.identity.managed_identity.hosting import Host, HostIdentity, IdentityHosts
from keyless.identity.managed_identity.imds import ImdsProtocol

if TYPE_CHECKING:
    from keyless.services import Services

ENDPOINTS_PATH = "/keyless/identityEndpoints"


def environment(identity_base: str, host: Host) -> dict[str, str]:
    """The variables a process on this host sees on Azure, pointed at keyless."""
    app_service = f"{identity_base}/msi/{host.host_id}/token"
    return {
        "IDENTITY_ENDPOINT": app_service,
        "IDENTITY_HEADER": host.secret,
        "AZURE_POD_IDENTITY_AUTHORITY_HOST": f"{identity_base}/imds/{host.secret}",
        "MSI_ENDPOINT": app_service,
        "MSI_SECRET": host.secret,
    }


def describe(identity: HostIdentity) -> dict[str, str]:
    return {
        "type": identity.kind,
        "resourceId": identity.resource_id,
        "principalId": identity.principal_id,
        "clientId": identity.client_id,
    }


class ManagedIdentityApp:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.hosts = IdentityHosts(services.store, services.directory, services.resources, services.tokens)
        self.protocols = (ImdsProtocol(self.hosts, services.instance.tenant_id), AppServiceProtocol(self.hosts))
        services.management.extend("POST", ENDPOINTS_PATH, self.identity_endpoints)

    def routes(self) -> list[Route]:
        return [route for protocol in self.protocols for route in protocol.routes()]

    async def identity_endpoints(self, request: Request, caller: Caller) -> Response:
        """`POST {management}/keyless/identityEndpoints?resourceId=ID` (or `{"resourceId": ID}`), admin only."""
        resource_id = request.query_params.get("resourceId") or _body_resource_id(await request.body())
        if not resource_id:
            raise ArmError(400, "MissingResourceId", "Give the host's resource id as ?resourceId= or in the body.")
        path = parse(resource_id, method="GET")
        if path is None or path.is_collection or not path.pairs:
            raise ArmError(
                400,
                "InvalidResourceId",
                f"The resource id '{resource_id}' is invalid. Expect a fully qualified resource id that starts "
                "with '/subscriptions/{subscriptionId}' and names one resource.",
            )
        body = await self.services.resources.get(resource_id)
        if body is None:
            names = "/".join(name for _, name in path.pairs if name is not None)
            raise arm_errors.resource_not_found(path.type_name, names, path.resource_group)
        canonical = str(body.get("id") or resource_id)
        identities = await self.hosts.identities(canonical)
        if not identities:
            raise ArmError(
                400,
                "NoManagedIdentity",
                f"The resource '{canonical}' has no managed identity. Enable its system-assigned identity or "
                "assign it a user-assigned one.",
            )
        host = await self.hosts.ensure(canonical)
        document: dict[str, Any] = {"resourceId": canonical, **environment(self.services.endpoints.identity, host)}
        document["identities"] = [describe(i) for i in identities]
        return JSONResponse(document, headers={"Cache-Control": "no-store"})


def _body_resource_id(raw: bytes) -> str | None:
    if not raw.strip():
        return None
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise arm_errors.bad_body(f"The request content was invalid and could not be deserialized: '{exc}'.") from exc
    value = body.get("resourceId") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None
