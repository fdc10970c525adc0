"""The App Service managed identity protocol (reference/identity.md §2): `IDENTITY_ENDPOINT` + `IDENTITY_HEADER`
(api-version 2019-08-01), and the legacy `MSI_ENDPOINT` + `secret` header (2017-09-01), one endpoint per host."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from keyless.identity import errors
from keyless.identity.managed_identity.hosting import IdentityError, IdentityHosts, caller_correlation, parse_selector
from keyless.identity.tokens import IssuedToken

NAME = "app_service"

CURRENT = "2019-08-01"
LEGACY = "2017-09-01"
# App Service's names plus the ones async azure-identity sends verbatim from `identity_config`.
SELECTORS = {
    "client_id": "client_id",
    "principal_id": "object_id",
    "object_id": "object_id",
    "mi_res_id": "resource_id",
    "msi_res_id": "resource_id",
    "resource_id": "resource_id",
}
LEGACY_SELECTORS = {"clientid": "client_id"}
HEADERS = {"Cache-Control": "no-store"}

# Messages the App Service token service answers with, as seen in the wild (reference/identity.md §2).
UNKNOWN_IDENTITY = "Unable to load the proper Managed Identity."
NO_DEFAULT_IDENTITY = "No user assigned identity or delegated managed identity found or specified."
LEGACY_UNKNOWN_IDENTITY = "No MSI found for specified ClientId/ResourceId."


def failure(status: int, message: str, *, legacy: bool = False) -> JSONResponse:
    """`{"statusCode", "message", "correlationId"}`; the 2017 protocol wrote the same keys in PascalCase."""
    keys = ("StatusCode", "Message", "CorrelationId") if legacy else ("statusCode", "message", "correlationId")
    body = dict(zip(keys, (status, message, str(uuid.uuid4())), strict=True))
    return JSONResponse(body, status_code=status, headers=HEADERS)


def legacy_expires_on(epoch: int) -> str:
    """2017-09-01 wrote `expires_on` as a date, e.g. `09/14/2017 12:00:00 PM +00:00`."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%m/%d/%Y %I:%M:%S %p +00:00")


class AppServiceProtocol:
    def __init__(self, hosts: IdentityHosts) -> None:
        self.hosts = hosts

    def routes(self) -> list[Route]:
        return [Route("/msi/{host_id}/token", self.token, methods=["GET"])]

    async def token(self, request: Request) -> Response:
        query = dict(request.query_params)
        api_version = query.get("api-version")
        legacy = api_version == LEGACY
        # One endpoint serves both versions; each has its own secret header name.
        presented = request.headers.get("secret" if legacy else "x-identity-header")
        host = await self.hosts.authenticate(request.path_params["host_id"], presented)
        if host is None:
            header = "secret" if legacy else "X-IDENTITY-HEADER"
            return failure(401, f"Unauthorized. The {header} header is missing or not valid.", legacy=legacy)
        if api_version not in (CURRENT, LEGACY):
            return failure(400, f"The api-version '{api_version or ''}' is not supported. Use '{CURRENT}'.")
        resource = query.get("resource", "")
        if not resource.strip():
            return failure(400, "The 'resource' parameter is required.", legacy=legacy)
        try:
            selector = parse_selector(query, LEGACY_SELECTORS if legacy else SELECTORS)
            # App Service has no single-user-assigned default: without a selector only the host's own identity.
            identity, issued = await self.hosts.token(
                host.resource_id,
                resource,
                selector,
                sole_user_assigned_default=False,
                correlation_id=caller_correlation(request.headers),
            )
        except IdentityError as exc:
            if legacy and exc.code != "selector":
                return failure(400, LEGACY_UNKNOWN_IDENTITY, legacy=True)
            messages = {"not_found": UNKNOWN_IDENTITY, "ambiguous": NO_DEFAULT_IDENTITY}
            return failure(400, messages.get(exc.code, exc.message), legacy=legacy)
        except errors.AadstsError as exc:
            return failure(400, exc.body()["error_description"], legacy=legacy)
        if legacy:
            return JSONResponse(legacy_body(issued), headers=HEADERS)
        return JSONResponse(
            {
                "access_token": issued.access_token,
                "expires_on": str(issued.expires_on),
                "resource": issued.resource,
                "token_type": "Bearer",
                "client_id": identity.client_id,
                "expires_in": str(issued.expires_in),
                "not_before": str(issued.claims["nbf"]),
            },
            headers=HEADERS,
        )


def legacy_body(issued: IssuedToken) -> dict[str, str]:
    return {
        "access_token": issued.access_token,
        "expires_on": legacy_expires_on(issued.expires_on),
        "resource": issued.resource,
        "token_type": "Bearer",
    }
