"""Minting Entra-shaped access tokens (reference/identity.md §3) for clients and managed identities."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from keyless.identity import errors
from keyless.identity.directory import Directory
from keyless.identity.keys import KeyRing
from keyless.platform import clock
from keyless.platform.ids import b64url

CLIENT_CREDENTIALS_LIFETIME = 3599
MANAGED_IDENTITY_LIFETIME = 86399
# A cached managed identity token is handed out again until it has this little left (msal's own margin).
MI_CACHE_MARGIN = 300


def v1_issuer(tenant_id: str) -> str:
    return f"https://sts.windows.net/{tenant_id}/"


def v2_issuer(tenant_id: str) -> str:
    return f"https://login.microsoftonline.com/{tenant_id}/v2.0"


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    claims: dict[str, Any]
    expires_on: int
    lifetime: int
    resource: str

    @property
    def expires_in(self) -> int:
        return max(0, self.expires_on - int(clock.now()))


def resource_from_scope(scope: str) -> str:
    """`api://x/.default` asks for resource `api://x`; a scope without `/.default` is refused (AADSTS1002012)."""
    scopes = scope.split()
    if len(scopes) != 1:
        defaults = [s for s in scopes if s.endswith("/.default")]
        if len(defaults) != 1:
            raise errors.invalid_scope(scope)
        scopes = defaults
    only = scopes[0]
    if not only.endswith("/.default"):
        raise errors.scope_needs_default(scope)
    return only[: -len("/.default")]


class TokenService:
    def __init__(self, directory: Directory, keys: KeyRing) -> None:
        self.directory = directory
        self.keys = keys
        self._mi_cache: dict[tuple[str, str], tuple[int, IssuedToken]] = {}

    @property
    def tenant_id(self) -> str:
        return self.directory.tenant_id

    async def resolve_resource(self, resource: str) -> dict[str, Any]:
        sp = await self.directory.resolve_resource(resource)
        if sp is None:
            raise errors.resource_not_found(resource, self.tenant_id)
        return sp

    async def issue(
        self,
        client_sp: dict[str, Any],
        resource: str,
        *,
        lifetime: int,
        appidacr: str,
        mi_resource_id: str | None = None,
    ) -> IssuedToken:
        """A token for `client_sp` to call `resource`, with the roles it holds there."""
        resource_sp = await self.resolve_resource(resource)
        assigned, roles = await self.directory.granted_roles(client_sp["id"], resource_sp)
        if resource_sp.get("appRoleAssignmentRequired") and not assigned:
            raise errors.not_assigned(
                client_sp["appId"], client_sp["displayName"], resource_sp["appId"], resource_sp["displayName"]
            )
        version = await self._token_version(resource_sp)
        now = int(clock.now())
        tid = self.tenant_id
        claims: dict[str, Any] = {
            "aud": resource if version == 1 else resource_sp["appId"],
            "iss": v1_issuer(tid) if version == 1 else v2_issuer(tid),
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "aio": b64url(hashlib.sha256(f"{client_sp['id']}{now}".encode()).digest()[:30]),
        }
        if version == 1:
            claims.update(appid=client_sp["appId"], appidacr=appidacr, idp=v1_issuer(tid))
        else:
            claims.update(azp=client_sp["appId"], azpacr=appidacr)
        claims["idtyp"] = "app"
        claims["oid"] = client_sp["id"]
        claims["rh"] = "0." + b64url(uuid.uuid4().bytes)
        if roles:
            claims["roles"] = roles
        claims["sub"] = client_sp["id"]
        claims["tid"] = tid
        claims["uti"] = b64url(uuid.uuid4().bytes)
        claims["ver"] = "1.0" if version == 1 else "2.0"
        if mi_resource_id is not None:
            claims["xms_mirid"] = mi_resource_id
        token = self.keys.sign(claims, x5t=version == 1)
        return IssuedToken(token, claims, now + lifetime, lifetime, resource)

    async def _token_version(self, resource_sp: dict[str, Any]) -> int:
        app = await self.directory.get_application_by_app_id(resource_sp["appId"])
        requested = ((app or {}).get("api") or {}).get("requestedAccessTokenVersion")
        return 2 if requested == 2 else 1

    async def managed_identity_token(
        self, identity_sp: dict[str, Any], resource: str, *, bypass_cache: bool = False
    ) -> IssuedToken:
        """As Entra's managed identity backend: the same token again until it is near expiry.

        Unlike Azure (which may serve a stale token for hours), a change in the directory (a new app role
        assignment, say) ends the cache at once; docs/compatibility.md names this divergence.
        """
        key = (identity_sp["id"], resource)
        cached = self._mi_cache.get(key)
        if (
            not bypass_cache
            and cached is not None
            and cached[0] == self.directory.generation
            and cached[1].expires_on - clock.now() > MI_CACHE_MARGIN
        ):
            return cached[1]
        mirid = next((n for n in identity_sp.get("alternativeNames", []) if n.startswith("/")), None)
        issued = await self.issue(
            identity_sp, resource, lifetime=MANAGED_IDENTITY_LIFETIME, appidacr="2", mi_resource_id=mirid
        )
        self._mi_cache[key] = (self.directory.generation, issued)
        return issued
