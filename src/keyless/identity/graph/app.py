"""Microsoft Graph v1.0 (applications, service principals, app role assignments): routing and authorization."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from keyless.identity.bearer import BearerError, Caller
from keyless.identity.graph import applications, assignments, directory_objects, errors, service_principals
from keyless.identity.graph.http import Call
from keyless.platform.errors import KeylessError
from keyless.platform.ids import is_guid

if TYPE_CHECKING:
    from keyless.services import Services

log = logging.getLogger("keyless.graph")

Handler = Callable[[Call], Awaitable[Response]]

READ = ("Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
WRITE = ("Application.ReadWrite.All", "Directory.ReadWrite.All")
ASSIGN = ("AppRoleAssignment.ReadWrite.All",)
ASSIGN_READ = (*READ, *ASSIGN)


@dataclass(frozen=True)
class Endpoint:
    """One method on one path: the Graph application permissions that allow it, and its handler."""

    permissions: tuple[str, ...]
    handler: Handler
    # addKey/removeKey: "An application does not need any specific permission to roll its own keys." (Graph docs)
    own_application: bool = False


# (entity set, addressed by key, navigation pattern) -> {method: (permissions, handler)}; "*" is an assignment id.
ROUTES: dict[tuple[str, bool, tuple[str, ...]], dict[str, Endpoint]] = {
    ("applications", False, ()): {
        "GET": Endpoint(READ, applications.list_),
        "POST": Endpoint(WRITE, applications.create),
    },
    ("applications", True, ()): {
        "GET": Endpoint(READ, applications.get),
        "PATCH": Endpoint(WRITE, applications.update),
        "DELETE": Endpoint(WRITE, applications.delete),
    },
    ("applications", True, ("addPassword",)): {"POST": Endpoint(WRITE, applications.add_password)},
    ("applications", True, ("removePassword",)): {"POST": Endpoint(WRITE, applications.remove_password)},
    ("applications", True, ("addKey",)): {"POST": Endpoint(WRITE, applications.add_key, own_application=True)},
    ("applications", True, ("removeKey",)): {"POST": Endpoint(WRITE, applications.remove_key, own_application=True)},
    ("servicePrincipals", False, ()): {
        "GET": Endpoint(READ, service_principals.list_),
        "POST": Endpoint(WRITE, service_principals.create),
    },
    ("servicePrincipals", True, ()): {
        "GET": Endpoint(READ, service_principals.get),
        "PATCH": Endpoint(WRITE, service_principals.update),
        "DELETE": Endpoint(WRITE, service_principals.delete),
    },
    **{
        ("servicePrincipals", True, (nav,)): {
            "GET": Endpoint(ASSIGN_READ, assignments.list_),
            "POST": Endpoint(ASSIGN, assignments.create),
        }
        for nav in ("appRoleAssignedTo", "appRoleAssignments")
    },
    **{
        ("servicePrincipals", True, (nav, "*")): {
            "GET": Endpoint(ASSIGN_READ, assignments.get),
            "DELETE": Endpoint(ASSIGN, assignments.delete),
        }
        for nav in ("appRoleAssignedTo", "appRoleAssignments")
    },
    ("directoryObjects", True, ()): {"GET": Endpoint(READ, directory_objects.get)},
}
ENTITY_SETS = {
    "applications": "applications",
    "serviceprincipals": "servicePrincipals",
    "directoryobjects": "directoryObjects",
}
# Parts of Graph v1.0 that keyless does not serve: refused by name instead of "not found", since Graph has them.
NOT_SERVED = frozenset(
    s.lower()
    for s in (
        "users", "groups", "me", "organization", "domains", "devices", "contacts", "oauth2PermissionGrants",
        "applicationTemplates", "servicePrincipalsWithAppId", "applicationsWithAppId", "identity", "policies",
        "directoryRoles", "roleManagement", "subscribedSkus", "sites", "drives", "teams", "chats", "security",
        "owners", "extensionProperties", "federatedIdentityCredentials", "tokenIssuancePolicies",
        "tokenLifetimePolicies", "homeRealmDiscoveryPolicies", "claimsMappingPolicies", "createdOnBehalfOf",
        "appManagementPolicies", "synchronization", "logo", "setVerifiedPublisher", "unsetVerifiedPublisher",
        "memberOf", "transitiveMemberOf", "delegatedPermissionClassifications", "ownedObjects", "createdObjects",
        "endpoints", "addTokenSigningCertificate", "checkMemberGroups", "getMemberGroups", "checkMemberObjects",
        "getMemberObjects", "restore", "remoteDesktopSecurityConfiguration", "delta", "getByIds",
        "getAvailableExtensionProperties", "validateProperties", "$count", "$batch", "$metadata",
    )
)  # fmt: skip


def _not_found_or_not_served(segment: str) -> errors.GraphError:
    if _canonical(segment.split("(")[0]) in NOT_SERVED:
        return errors.GraphError(
            400,
            "BadRequest",
            f"keyless serves part of Microsoft Graph v1.0 (applications, servicePrincipals, app role assignments, "
            f"directoryObjects/{{id}}); '{segment}' is in Graph but not served here.",
        )
    return errors.segment_not_found(segment)


_KEYED = re.compile(r"^(?P<set>[A-Za-z]+)(?:\((?P<prop>appId)=(?P<q>'?)(?P<value>[^']*)(?P=q)\))?$", re.IGNORECASE)


def _canonical(segment: str) -> str:
    return segment.removeprefix("microsoft.graph.").lower()


def parse_path(path: str) -> tuple[str, tuple[str, str] | None, list[str]]:
    """`applications(appId='x')/addPassword` -> ("applications", ("appId", "x"), ["addPassword"])."""
    segments = [s for s in path.split("/") if s]
    if not segments:
        raise errors.GraphError(400, "BadRequest", "Invalid request: name a resource, e.g. /v1.0/applications.")
    m = _KEYED.match(segments[0])
    entity_set = ENTITY_SETS.get(m.group("set").lower()) if m else None
    if m is None or entity_set is None:
        raise _not_found_or_not_served(segments[0].split("(")[0])
    rest = segments[1:]
    key: tuple[str, str] | None = None
    if m.group("prop"):
        key = ("appId", m.group("value"))
    elif rest:
        key = ("id", rest.pop(0))
        if not is_guid(key[1]):
            raise errors.invalid_object_identifier(key[1])
    return entity_set, key, rest


def match_route(entity_set: str, key: bool, nav: list[str]) -> tuple[tuple[str, ...], dict[str, Endpoint]]:
    best = 0
    for (rset, rkey, pattern), methods in ROUTES.items():
        if rset != entity_set or rkey != key:
            continue
        n = 0
        while n < min(len(pattern), len(nav)) and (pattern[n] == "*" or _canonical(nav[n]) == pattern[n].lower()):
            n += 1
        if n == len(pattern) == len(nav):
            return pattern, methods
        best = max(best, n)
    segment = nav[best] if best < len(nav) else (nav[-1] if nav else entity_set)
    raise _not_found_or_not_served(segment)


def authentication_error(exc: BearerError) -> errors.GraphError:
    messages = {
        "missing": "Access token is empty.",
        "audience": "Access token validation failure. Invalid audience.",
        "issuer": "Access token validation failure. Invalid issuer.",
        "expired": "Lifetime validation failed, the token is expired.",
        "not_yet_valid": "Lifetime validation failed, the token is not yet valid.",
    }
    if exc.reason in messages:
        return errors.invalid_token(messages[exc.reason])
    if exc.reason == "malformed" and exc.message.startswith("The 'Authorization' header is invalid"):
        return errors.invalid_token("Access token is empty.")
    return errors.invalid_token(f"Access token validation failure. (keyless: {exc.message})")


class GraphApp:
    def __init__(self, services: Services) -> None:
        self.services = services

    def routes(self) -> list[Route]:
        methods = ["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"]
        return [Route("/{path:path}", self.dispatch, methods=methods)]

    async def dispatch(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        client_request_id = request.headers.get("client-request-id") or request_id
        try:
            response = await self._handle(request)
        except KeylessError as exc:
            response = errors.error_response(exc, request_id, client_request_id)
        except Exception:
            # Still Graph's shape, so clients show the request-id; the traceback goes to the log, never the body.
            log.exception("Graph request %s failed", request_id)
            internal = errors.GraphError(500, "InternalServerError", "An internal server error occurred.")
            response = errors.error_response(internal, request_id, client_request_id)
        response.headers["request-id"] = request_id
        response.headers["client-request-id"] = client_request_id
        return response

    async def _handle(self, request: Request) -> Response:
        try:
            caller = self.services.graph_bearer.validate(request.headers.get("authorization"))
        except BearerError as exc:
            raise authentication_error(exc) from exc
        version, _, path = request.path_params["path"].partition("/")
        if version != "v1.0":
            raise errors.GraphError(
                400, "BadRequest", f"keyless serves Microsoft Graph v1.0 only; '/{version}' is not served."
            )
        entity_set, key, nav = parse_path(path)
        pattern, methods = match_route(entity_set, key is not None, nav)
        if request.method not in methods:
            raise errors.method_not_allowed()
        endpoint = methods[request.method]
        base = f"{request.url.scheme}://{request.url.netloc}/v1.0"
        call = Call(
            request, self.services, caller, base, entity_set, key, nav[1] if len(nav) > 1 else None, tuple(pattern)
        )
        if not endpoint.own_application or caller.app_id != (await applications.resolve(call))["appId"]:
            _authorize(caller, endpoint.permissions)
        return await endpoint.handler(call)


def _authorize(caller: Caller, needed: tuple[str, ...]) -> None:
    if not caller.roles.intersection(needed):
        raise errors.insufficient_privileges(needed, caller.roles)
