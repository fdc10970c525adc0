"""The IMDS managed identity protocol (reference/identity.md §1), one endpoint per host under a secret path.

On Azure only the VM reaches 169.254.169.254; here the host's secret in the path stands for that, so
`AZURE_POD_IDENTITY_AUTHORITY_HOST={identity}/imds/{secret}` makes azure-identity talk to this host's endpoint.
"""

from __future__ import annotations

import re
from datetime import date

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from keyless.identity import errors
from keyless.identity.managed_identity.hosting import (
    Host,
    IdentityError,
    IdentityHosts,
    caller_correlation,
    parse_selector,
)

NAME = "imds"

# IMDS's names plus the ones async azure-identity sends verbatim from `identity_config`.
SELECTORS = {
    "client_id": "client_id",
    "object_id": "object_id",
    "principal_id": "object_id",
    "msi_res_id": "resource_id",
    "mi_res_id": "resource_id",
    "resource_id": "resource_id",
}
FIRST_API_VERSION = date(2018, 2, 1)
HEADERS = {"Cache-Control": "no-store"}

# The `error_description`s IMDS answers with (how-to-use-vm-token.md "Error handling"; the others as observed).
IDENTITY_NOT_FOUND = "Identity not found"
MULTIPLE_IDENTITIES = (
    "Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the "
    "token request"
)


def failure(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status, headers=HEADERS)


def bad_request(description: str) -> JSONResponse:
    return failure(400, "invalid_request", description)


def api_version_error(api_version: str | None) -> JSONResponse | None:
    """IMDS takes any dated version from 2018-02-01 on for identity; anything else is a 400."""
    if not api_version:
        return bad_request("Required api-version parameter not specified")
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", api_version)
    try:
        valid = match is not None and date(*(int(g) for g in match.groups())) >= FIRST_API_VERSION
    except ValueError:
        valid = False
    return None if valid else bad_request(f"Invalid api-version '{api_version}'")


class ImdsProtocol:
    def __init__(self, hosts: IdentityHosts, tenant_id: str) -> None:
        self.hosts = hosts
        self.tenant_id = tenant_id

    def routes(self) -> list[Route]:
        return [
            Route("/imds/{secret}/metadata/identity/oauth2/token", self.token, methods=["GET"]),
            Route("/imds/{secret}/metadata/identity/info", self.info, methods=["GET"]),
        ]

    async def _host(self, request: Request) -> Host | Response:
        """The host whose secret is in the path, or the refusal; the api-version must be there too."""
        # The Metadata check comes first, as on Azure: it is the SSRF guard and needs no lookup.
        if request.headers.get("metadata") != "true":
            return bad_request("Required metadata header not specified")
        host = await self.hosts.by_secret(request.path_params["secret"])
        if host is None:
            return failure(401, "unknown_source", "Unknown Source")
        return api_version_error(request.query_params.get("api-version")) or host

    async def token(self, request: Request) -> Response:
        host = await self._host(request)
        if isinstance(host, Response):
            return host
        query = dict(request.query_params)
        resource = query.get("resource", "")
        if not resource.strip():
            return bad_request("Required audience parameter not specified")
        bypass = query.get("bypass_cache", "false").lower()
        if bypass not in ("true", "false"):
            return bad_request(f"Invalid bypass_cache value '{query['bypass_cache']}'")
        try:
            selector = parse_selector(query, SELECTORS)
            identity, issued = await self.hosts.token(
                host.resource_id,
                resource,
                selector,
                bypass_cache=bypass == "true",
                correlation_id=caller_correlation(request.headers),
            )
        except IdentityError as exc:
            if exc.code == "not_found":
                return bad_request(IDENTITY_NOT_FOUND)
            if exc.code == "ambiguous":
                return bad_request(MULTIPLE_IDENTITIES)
            return bad_request(exc.message)
        except errors.AadstsError as exc:
            # IMDS passes Entra's own error body through (AADSTS500011, AADSTS501051, ...).
            return JSONResponse(exc.body(caller_correlation(request.headers)), status_code=exc.status, headers=HEADERS)
        expires_in = str(issued.expires_in)
        return JSONResponse(
            {
                "access_token": issued.access_token,
                "client_id": identity.client_id,
                "expires_in": expires_in,
                "expires_on": str(issued.expires_on),
                "ext_expires_in": expires_in,
                "not_before": str(issued.claims["nbf"]),
                "resource": issued.resource,
                "token_type": "Bearer",
            },
            headers=HEADERS,
        )

    async def info(self, request: Request) -> Response:
        """`/metadata/identity/info`: the tenant of the host's identities."""
        host = await self._host(request)
        if isinstance(host, Response):
            return host
        return JSONResponse({"tenantId": self.tenant_id}, headers=HEADERS)
