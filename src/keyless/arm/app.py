"""The management host's HTTP adapter: authentication, then subscriptions, resource groups or a provider path."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from keyless.arm.errors import ArmError
from keyless.arm.resource_groups import ResourceGroups
from keyless.arm.resource_id import parse
from keyless.arm.router import ArmRouter
from keyless.identity.bearer import BearerError, BearerValidator, Caller

WWW_AUTH = 'Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="{}"'

# keyless's own management calls (not Azure's), e.g. `keyless keys rotate`; each takes the caller.
Extension = Callable[[Request, Caller], Awaitable[Response]]


def authentication_error(exc: BearerError, tenant_id: str) -> ArmError:
    if exc.reason == "missing":
        return ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
    if exc.reason == "expired":
        now = dt.datetime.now(dt.UTC).strftime("%m/%d/%Y %H:%M:%S")
        return ArmError(
            401,
            "ExpiredAuthenticationToken",
            f"The access token expiry UTC time is earlier than current UTC time '{now}'.",
        )
    if exc.reason == "audience":
        return ArmError(
            401,
            "InvalidAuthenticationTokenAudience",
            "The access token has been obtained for wrong audience or resource. It should exactly match with one "
            "of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net',"
            f"'https://management.azure.com/','https://management.azure.com'. {exc.message}",
        )
    if exc.reason == "issuer":
        return ArmError(
            401,
            "InvalidAuthenticationTokenTenant",
            f"The access token is from the wrong issuer. It must match the tenant "
            f"'https://sts.windows.net/{tenant_id}/' associated with this subscription. {exc.message}",
        )
    return ArmError(401, "InvalidAuthenticationToken", f"The access token is invalid. {exc.message}")


class ManagementApp:
    def __init__(
        self, router: ArmRouter, groups: ResourceGroups, bearer: BearerValidator, owners: set[str], tenant_id: str
    ) -> None:
        self.router = router
        self.groups = groups
        self.bearer = bearer
        self.owners = owners
        self.tenant_id = tenant_id
        self.extensions: dict[tuple[str, str], Extension] = {}
        self.resolvers: list[Callable[[str, str], Extension | None]] = []
        # Ids of asynchronous operations answered with 202 (all finished already), oldest first.
        self.operations: dict[str, None] = {}

    def extend(self, method: str, path: str, handler: Extension) -> None:
        self.extensions[(method, path)] = handler

    def extend_matching(self, resolver: Callable[[str, str], Extension | None]) -> None:
        """A service's handler for a family of paths the generic router cannot store (a workflow's runs, read
        from its run history): `resolver(method, path)` returns the handler, or None to leave the path to ARM."""
        self.resolvers.append(resolver)

    def routes(self) -> list[Route]:
        return [Route("/{path:path}", self.dispatch, methods=["GET", "PUT", "PATCH", "DELETE", "POST", "HEAD"])]

    def _authorize(self, request: Request) -> Caller:
        try:
            caller = self.bearer.validate(request.headers.get("authorization"))
        except BearerError as exc:
            raise authentication_error(exc, self.tenant_id) from exc
        if caller.object_id not in self.owners:
            raise ArmError(
                403,
                "AuthorizationFailed",
                f"The client '{caller.app_id}' with object id '{caller.object_id}' does not have authorization to "
                f"perform action '{request.method}' over scope '{request.url.path}' or the scope is invalid. "
                "keyless grants management access to the local admin only.",
            )
        return caller

    async def dispatch(self, request: Request) -> Response:
        request_id = request.headers.get("x-ms-client-request-id") or str(uuid.uuid4())
        headers = {"x-ms-request-id": request_id, "x-ms-correlation-request-id": request_id}
        try:
            caller = self._authorize(request)
            response = await self._handle(request, caller)
        except ArmError as exc:
            if exc.status == 401:
                headers["WWW-Authenticate"] = WWW_AUTH.format(exc.message.replace('"', "'"))
            return exc.response(headers)
        response.headers.update(headers)
        return response

    async def _handle(self, request: Request, caller: Caller) -> Response:
        path = "/" + request.path_params["path"]
        method = request.method
        extension = self.extensions.get((method, path.rstrip("/")))
        for resolver in self.resolvers:
            if extension is not None:
                break
            extension = resolver(method, path.rstrip("/"))
        if extension is not None:
            return await extension(request, caller)
        query = dict(request.query_params)
        api_version = query.get("api-version")
        if not api_version:
            raise ArmError(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        base_url = f"{request.base_url}".rstrip("/") + request.url.path
        segs = [s for s in path.split("/") if s]
        lowered = [s.lower() for s in segs]
        body = await request.body() if method in ("PUT", "PATCH", "POST") else b""

        if lowered == ["subscriptions"] and method == "GET":
            return JSONResponse({"value": [self.groups.subscription(self.router.subscription_id)]})
        if len(segs) == 2 and lowered[0] == "subscriptions" and method == "GET":
            return JSONResponse(self.groups.subscription(segs[1]))
        if len(segs) == 3 and lowered[0] == "subscriptions" and lowered[2] == "resourcegroups" and method == "GET":
            return JSONResponse(await self.groups.list(segs[1], base_url, query))
        if len(segs) == 4 and lowered[0] == "subscriptions" and lowered[2] == "resourcegroups":
            return await self._group(method, segs[1], segs[3], body)

        if method == "GET" and (done := self._operation_result(segs)) is not None:
            return done
        parsed = parse(path, method=method)
        if parsed is None:
            raise ArmError(404, "InvalidResourceType", f"No route matches '{method} {path}'.")
        if parsed.action is not None:
            if method != "POST":
                raise ArmError(405, "MethodNotAllowed", f"The method '{method}' is not allowed on this path.")
            result = await self.router.action(parsed, api_version, body, query)
            return result if isinstance(result, Response) else JSONResponse(result)
        if parsed.is_collection:
            if method != "GET":
                raise ArmError(405, "MethodNotAllowed", f"The method '{method}' is not allowed on a collection.")
            return JSONResponse(await self.router.list(parsed, api_version, base_url, query))
        if method in ("GET", "HEAD"):
            found = await self.router.get(parsed, api_version, query)
            return Response(status_code=204) if method == "HEAD" else JSONResponse(found)
        if method == "PUT":
            stored, created = await self.router.put(parsed, api_version, body)
            return JSONResponse(stored, status_code=201 if created else 200)
        if method == "PATCH":
            return JSONResponse(await self.router.patch(parsed, api_version, body))
        if method == "DELETE":
            if not await self.router.delete(parsed, api_version, query):
                return Response(status_code=204)
            rtype = self.router.registry.get(parsed.type_name)
            if rtype is not None and rtype.delete_async:
                return self._accepted(request, parsed.namespace or "", api_version)
            return Response(status_code=200)
        raise ArmError(405, "MethodNotAllowed", f"The method '{method}' is not allowed on this path.")

    def _accepted(self, request: Request, namespace: str, api_version: str) -> Response:
        """ARM's asynchronous answer (202 + Location) for a delete keyless has already finished."""
        operation = str(uuid.uuid4())
        self.operations[operation] = None
        while len(self.operations) > 10_000:
            self.operations.pop(next(iter(self.operations)))
        base = str(request.base_url).rstrip("/")
        location = (
            f"{base}/subscriptions/{self.router.subscription_id}/providers/{namespace}/locations/"
            f"{self.router.location}/operationResults/{operation}?api-version={api_version}"
        )
        return Response(status_code=202, headers={"Location": location, "Retry-After": "0"})

    def _operation_result(self, segs: list[str]) -> Response | None:
        """`GET .../providers/{ns}/locations/{loc}/operationResults/{id}`: 204 once the operation has finished."""
        lowered = [s.lower() for s in segs]
        if len(segs) != 8 or lowered[2] != "providers" or lowered[4] != "locations" or lowered[6] != "operationresults":
            return None
        if segs[7] not in self.operations:
            raise ArmError(404, "OperationNotFound", f"The operation '{segs[7]}' was not found.")
        return Response(status_code=204)

    async def _group(self, method: str, subscription: str, name: str, body: bytes) -> Response:
        if method in ("GET", "HEAD"):
            found: dict[str, Any] = await self.groups.get(subscription, name)
            return Response(status_code=204) if method == "HEAD" else JSONResponse(found)
        if method == "PUT":
            stored, created = await self.groups.put(subscription, name, body)
            return JSONResponse(stored, status_code=201 if created else 200)
        if method == "PATCH":
            return JSONResponse(await self.groups.patch(subscription, name, body))
        if method == "DELETE":
            return Response(status_code=200 if await self.groups.delete(subscription, name) else 204)
        raise ArmError(405, "MethodNotAllowed", f"The method '{method}' is not allowed on a resource group.")
