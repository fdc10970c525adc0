"""Minting Entra-shaped access tokens (reference/identity.md §3) for clients and managed identities."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from keyless.identity import errors
from keyless.identity.directory import Directory
from keyless.identity.keys import KeyRing
from keyless.platform import clock
from keyless.platform.ids import b64url

CLIENT_CREDENTIALS_LIFETIME = 3599
MANAGED_IDENTITY_LIFETIME = 86399
# A cached managed identity token is handed out again until it has this little left (msal's own margin).
MI_CACHE_MARGIN = 300
# Directory reads on the token path are cached until this process changes the directory, and for at most
# this long, so a change made by another keyless sharing the same PostgreSQL is seen within that time.
READ_CACHE_SECONDS = 5.0

T = TypeVar("T")
log = logging.getLogger("keyless.identity")


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


class DirectoryReads:
    """The directory lookups every token request makes, served from memory while the directory is unchanged.

    Read-only views: callers must not mutate what they get. Only hits are cached (an unknown client or
    resource asks the store again). Secret verdicts: see `check_secret`.
    """

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self._entries: dict[tuple[str, ...], Any] = {}
        self._generation = directory.generation
        self._expires = 0.0

    @property
    def tenant_id(self) -> str:
        return self.directory.tenant_id

    def _fresh(self) -> bool:
        return self._generation == self.directory.generation and clock.now() < self._expires

    async def _cached(self, key: tuple[str, ...], load: Callable[[], Awaitable[T]]) -> T:
        now = clock.now()
        if self._generation != self.directory.generation or now >= self._expires:
            self._entries.clear()
            self._generation = self.directory.generation
            self._expires = now + READ_CACHE_SECONDS
        if key in self._entries:
            return self._entries[key]  # type: ignore[no-any-return]
        generation = self.directory.generation
        value = await load()
        # A change that landed while loading may have made `value` stale; keep it only if none did.
        if value is not None and generation == self.directory.generation == self._generation:
            self._entries[key] = value
        return value

    async def get_application_by_app_id(self, app_id: str) -> dict[str, Any] | None:
        return await self._cached(("app", app_id), lambda: self.directory.get_application_by_app_id(app_id))

    async def find_service_principal_by_app_id(self, app_id: str) -> dict[str, Any] | None:
        return await self._cached(("sp", app_id), lambda: self.directory.find_service_principal_by_app_id(app_id))

    async def check_secret(self, app_id: str, secret: str) -> str:
        """Only `ok` verdicts are kept (by the secret's SHA-256, as the store keeps it); adding or removing a
        password changes the directory's generation and so drops them."""
        key = ("secret", app_id, hashlib.sha256(secret.encode("utf-8")).hexdigest())
        if key in self._entries and self._fresh():
            return "ok"
        verdict = await self.directory.check_secret(app_id, secret)
        if verdict == "ok":
            await self._cached(key, _ok)
        return verdict

    async def resolve_resource(self, resource: str) -> dict[str, Any] | None:
        return await self._cached(("resource", resource), lambda: self.directory.resolve_resource(resource))

    async def token_version(self, resource_app_id: str) -> int:
        """The resource application's `api.requestedAccessTokenVersion` (null and 1 mean v1); first-party
        resources have no application object here and get v1, so this is cached even then."""

        async def load() -> int:
            app = await self.directory.get_application_by_app_id(resource_app_id)
            requested = ((app or {}).get("api") or {}).get("requestedAccessTokenVersion")
            return 2 if requested == 2 else 1

        return await self._cached(("version", resource_app_id), load)

    async def granted_roles(self, principal_id: str, resource_sp: dict[str, Any]) -> tuple[bool, list[str]]:
        key = ("roles", principal_id, resource_sp["id"])
        return await self._cached(key, lambda: self.directory.granted_roles(principal_id, resource_sp))


async def _ok() -> str:
    return "ok"


class TokenService:
    def __init__(self, directory: Directory, keys: KeyRing) -> None:
        self.directory = directory
        self.keys = keys
        self.reads = DirectoryReads(directory)
        self._mi_cache: dict[tuple[str, str], tuple[int, IssuedToken]] = {}

    @property
    def tenant_id(self) -> str:
        return self.directory.tenant_id

    async def resolve_resource(self, resource: str) -> dict[str, Any]:
        sp = await self.reads.resolve_resource(resource)
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
        await self.keys.ensure_fresh()
        resource_sp = await self.resolve_resource(resource)
        assigned, roles = await self.reads.granted_roles(client_sp["id"], resource_sp)
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
        return await self.reads.token_version(resource_sp["appId"])

    async def managed_identity_token(
        self,
        identity_sp: dict[str, Any],
        resource: str,
        *,
        bypass_cache: bool = False,
        correlation_id: str | None = None,
    ) -> IssuedToken:
        """As Entra's managed identity backend: the same token again until it is near expiry.

        Unlike Azure (which may serve a stale token for hours), a change in the directory (a new app role
        assignment, say) ends the cache at once; docs/compatibility.md names this divergence. Each token handed
        out, or refused, is one INFO line on `keyless.identity` with the caller's `correlation_id` (never the token).
        """
        key = (identity_sp["id"], resource)
        cached = self._mi_cache.get(key)
        if (
            not bypass_cache
            and cached is not None
            and cached[0] == self.directory.generation
            and cached[1].expires_on - clock.now() > MI_CACHE_MARGIN
        ):
            log_issued(identity_sp, cached[1], correlation_id, cached=True)
            return cached[1]
        mirid = next((n for n in identity_sp.get("alternativeNames", []) if n.startswith("/")), None)
        try:
            issued = await self.issue(
                identity_sp, resource, lifetime=MANAGED_IDENTITY_LIFETIME, appidacr="2", mi_resource_id=mirid
            )
        except errors.AadstsError as exc:
            log_refused(
                _principal(identity_sp), resource, f"AADSTS{exc.number} {exc.code}: {exc.message}", correlation_id
            )
            raise
        self._mi_cache[key] = (self.directory.generation, issued)
        log_issued(identity_sp, issued, correlation_id, cached=False)
        return issued


def _principal(sp: dict[str, Any]) -> str:
    """A service principal as log lines name it: object id, app id and display name (no secrets)."""
    return f"{sp.get('id')} (appId {sp.get('appId')}, '{sp.get('displayName', '')}')"


def log_issued(sp: dict[str, Any], issued: IssuedToken, correlation_id: str | None, *, cached: bool) -> None:
    roles = issued.claims.get("roles") or []
    log.info(
        "managed identity token issued: correlation=%s principal=%s audience=%s roles=%s cached=%s",
        correlation_id or "-",
        _principal(sp),
        issued.resource,
        ",".join(str(r) for r in roles) or "none",
        "yes" if cached else "no",
    )


def log_refused(principal: str, resource: str, why: str, correlation_id: str | None) -> None:
    log.info(
        "managed identity token refused: correlation=%s principal=%s audience=%s error=%s",
        correlation_id or "-",
        principal,
        resource,
        " ".join(why.split()),
    )
