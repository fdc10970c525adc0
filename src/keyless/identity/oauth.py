"""The login host: token endpoints (v1 and v2), OIDC discovery and JWKS (reference/identity.md §4-6)."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from keyless.identity import errors
from keyless.identity.client_auth import authenticate
from keyless.identity.tokens import (
    CLIENT_CREDENTIALS_LIFETIME,
    TokenService,
    resource_from_scope,
    v1_issuer,
    v2_issuer,
)

DISCOVERY_HEADERS = {"Cache-Control": "max-age=86400, private", "Access-Control-Allow-Origin": "*"}
TOKEN_HEADERS = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


class LoginService:
    def __init__(self, tokens: TokenService) -> None:
        self.tokens = tokens

    @property
    def tenant_id(self) -> str:
        return self.tokens.tenant_id

    def _tenant(self, request: Request) -> str:
        tenant = request.path_params["tenant"]
        if tenant.lower() not in (self.tenant_id, "organizations", "common"):
            raise errors.tenant_not_found(tenant)
        return self.tenant_id

    def _document_tenant(self, request: Request) -> tuple[str, str]:
        """(path tenant for the document's URLs, tenant for its issuer). Entra's `common` and `organizations`
        documents keep their own name in the URLs and a templated issuer (`{tenantid}`)."""
        tid = self._tenant(request)
        tenant = request.path_params["tenant"].lower()
        if tenant in ("common", "organizations"):
            return tenant, "{tenantid}"
        return tid, tid

    def routes(self) -> list[Route]:
        return [
            Route("/{tenant}/oauth2/v2.0/token", self.token_v2, methods=["POST"]),
            Route("/{tenant}/oauth2/token", self.token_v1, methods=["POST"]),
            Route("/{tenant}/v2.0/.well-known/openid-configuration", self.openid_v2, methods=["GET"]),
            Route("/{tenant}/.well-known/openid-configuration", self.openid_v1, methods=["GET"]),
            Route("/{tenant}/discovery/v2.0/keys", self.keys_v2, methods=["GET"]),
            Route("/{tenant}/discovery/keys", self.keys_v1, methods=["GET"]),
            # Entra also serves the tenant-independent key documents without a tenant segment.
            Route("/discovery/v2.0/keys", self.keys_v2, methods=["GET"]),
            Route("/discovery/keys", self.keys_v1, methods=["GET"]),
        ]

    async def _form(self, request: Request) -> dict[str, str]:
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("application/x-www-form-urlencoded"):
            raise errors.AadstsError(
                900144, "invalid_request", "The request body must contain the following parameter: 'grant_type'."
            )
        body = (await request.body()).decode("utf-8", "replace")
        form = dict(parse_qsl(body, keep_blank_values=True))
        # client_secret_basic: RFC 6749 §2.3.1, url-encoded id and secret in the Basic header.
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(auth[6:]).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            if ":" in decoded:
                cid, secret = decoded.split(":", 1)
                form.setdefault("client_id", unquote(cid))
                form.setdefault("client_secret", unquote(secret))
        return form

    def _token_endpoints(self, request: Request) -> set[str]:
        base, tid = _base(request), self.tenant_id
        names = {tid, request.path_params["tenant"]}
        hosts = {base, "https://login.microsoftonline.com"}
        return {f"{h}/{t}/oauth2/v2.0/token" for h in hosts for t in names} | {
            f"{h}/{t}/oauth2/token" for h in hosts for t in names
        }

    async def _client_credentials(self, request: Request, resource_of: Any) -> tuple[Any, dict[str, str]]:
        self._tenant(request)
        form = await self._form(request)
        grant_type = form.get("grant_type")
        if not grant_type:
            raise errors.missing_parameter("grant_type")
        if grant_type != "client_credentials":
            raise errors.unsupported_grant_type(grant_type)
        client_id = form.get("client_id")
        if not client_id:
            raise errors.missing_parameter("client_id")
        resource = resource_of(form)
        client = await authenticate(
            self.tokens.reads, form, client_id=client_id, token_endpoints=self._token_endpoints(request)
        )
        appidacr = "1" if "client_secret" in form else "2"
        issued = await self.tokens.issue(client, resource, lifetime=CLIENT_CREDENTIALS_LIFETIME, appidacr=appidacr)
        return issued, form

    async def token_v2(self, request: Request) -> Response:
        def resource_of(form: dict[str, str]) -> str:
            scope = form.get("scope")
            if not scope:
                raise errors.missing_parameter("scope")
            return resource_from_scope(scope)

        try:
            issued, _ = await self._client_credentials(request, resource_of)
        except errors.AadstsError as exc:
            return _aadsts(exc, request)
        body = {
            "token_type": "Bearer",
            "expires_in": issued.lifetime,
            "ext_expires_in": issued.lifetime,
            "access_token": issued.access_token,
        }
        return JSONResponse(body, headers=TOKEN_HEADERS)

    async def token_v1(self, request: Request) -> Response:
        def resource_of(form: dict[str, str]) -> str:
            resource = form.get("resource")
            if not resource:
                raise errors.missing_parameter("resource")
            return resource

        try:
            issued, _ = await self._client_credentials(request, resource_of)
        except errors.AadstsError as exc:
            return _aadsts(exc, request)
        body = {
            "token_type": "Bearer",
            "expires_in": str(issued.lifetime),
            "ext_expires_in": str(issued.lifetime),
            "expires_on": str(issued.expires_on),
            "not_before": str(issued.claims["nbf"]),
            "resource": issued.resource,
            "access_token": issued.access_token,
        }
        return JSONResponse(body, headers=TOKEN_HEADERS)

    async def openid_v2(self, request: Request) -> Response:
        try:
            path_tenant, tid = self._document_tenant(request)
        except errors.AadstsError as exc:
            return _aadsts(exc, request)
        base = f"{_base(request)}/{path_tenant}"
        doc = {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": v2_issuer(tid),
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": [
                "sub",
                "iss",
                "cloud_instance_name",
                "cloud_instance_host_name",
                "cloud_graph_host_name",
                "msgraph_host",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "acr",
                "nonce",
                "preferred_username",
                "name",
                "tid",
                "ver",
                "at_hash",
                "c_hash",
                "email",
            ],
            "kerberos_endpoint": f"{base}/kerberos",
            "tenant_region_scope": "WW",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }
        return JSONResponse(doc, headers=DISCOVERY_HEADERS)

    async def openid_v1(self, request: Request) -> Response:
        try:
            path_tenant, tid = self._document_tenant(request)
        except errors.AadstsError as exc:
            return _aadsts(exc, request)
        base = f"{_base(request)}/{path_tenant}"
        doc = {
            "token_endpoint": f"{base}/oauth2/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{_base(request)}/common/discovery/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/logout",
            "response_types_supported": ["code", "id_token", "code id_token", "token id_token", "token"],
            "scopes_supported": ["openid"],
            "issuer": v1_issuer(tid),
            "claims_supported": [
                "sub",
                "iss",
                "cloud_instance_name",
                "cloud_instance_host_name",
                "cloud_graph_host_name",
                "msgraph_host",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "acr",
                "amr",
                "nonce",
                "email",
                "given_name",
                "family_name",
                "nickname",
            ],
            "microsoft_multi_refresh_token": True,
            "check_session_iframe": f"{base}/oauth2/checksession",
            "userinfo_endpoint": f"{base}/openid/userinfo",
            "kerberos_endpoint": f"{base}/kerberos",
            "tenant_region_scope": "WW",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
            "authorization_endpoint": f"{base}/oauth2/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/devicecode",
        }
        return JSONResponse(doc, headers=DISCOVERY_HEADERS)

    async def keys_v2(self, request: Request) -> Response:
        tenant = request.path_params.get("tenant", "common")
        try:
            tid = self._tenant(request) if "tenant" in request.path_params else self.tenant_id
        except errors.AadstsError as exc:
            return _aadsts(exc, request)
        await self.tokens.keys.ensure_fresh()
        # Entra's tenant-independent documents carry a templated issuer; a tenant's carries its own.
        issuer = v2_issuer(tid) if tenant.lower() == tid else "https://login.microsoftonline.com/{tenantid}/v2.0"
        return JSONResponse(self.tokens.keys.jwks(issuer), headers=DISCOVERY_HEADERS)

    async def keys_v1(self, request: Request) -> Response:
        try:
            if "tenant" in request.path_params:
                self._tenant(request)
        except errors.AadstsError as exc:
            return _aadsts(exc, request)
        await self.tokens.keys.ensure_fresh()
        return JSONResponse(self.tokens.keys.jwks(), headers=DISCOVERY_HEADERS)


def _aadsts(exc: errors.AadstsError, request: Request) -> JSONResponse:
    correlation = request.headers.get("client-request-id") or str(uuid.uuid4())
    return JSONResponse(exc.body(correlation), status_code=exc.status, headers=TOKEN_HEADERS)
