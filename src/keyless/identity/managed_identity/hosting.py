"""Identity hosts: the resources whose code gets managed identity tokens, their endpoint secrets, and the choice
of identity (reference/identity.md §1 "Default identity rule", §2)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from keyless.arm.router import ResourceStore
from keyless.identity.directory import Directory
from keyless.identity.tokens import READ_CACHE_SECONDS, IssuedToken, TokenService, log_refused
from keyless.platform import clock
from keyless.platform.errors import KeylessError
from keyless.platform.ids import b64url, opaque_id
from keyless.platform.models import IdentityHost
from keyless.platform.store import Store

UAMI_TYPE = "microsoft.managedidentity/userassignedidentities"


class IdentityError(KeylessError):
    """Why no identity could be chosen; each protocol words it in its own body shape.

    `code`: not_found (no such identity on the host), ambiguous (several user-assigned, no selector),
    selector (malformed or conflicting selectors).
    """


@dataclass(frozen=True)
class Host:
    host_id: str
    resource_id: str
    secret: str


@dataclass(frozen=True)
class HostIdentity:
    """One managed identity a host can use: `resource_id` is the UAMI id, or the host's own id if system-assigned."""

    kind: str  # "SystemAssigned" or "UserAssigned"
    resource_id: str
    principal: dict[str, Any]
    # The host's own identity: its system-assigned one, or the UAMI itself when a UAMI is the host.
    own: bool = False

    @property
    def principal_id(self) -> str:
        return str(self.principal["id"])

    @property
    def client_id(self) -> str:
        return str(self.principal["appId"])


@dataclass(frozen=True)
class Selector:
    """A request's choice of identity: `kind` is client_id, object_id or resource_id."""

    kind: str
    value: str


def parse_selector(query: dict[str, str], aliases: dict[str, str]) -> Selector | None:
    """The one selector in `query`, by each protocol's parameter names (`aliases`: wire name -> kind)."""
    present = [(name, query[name]) for name in aliases if name in query]
    if len(present) > 1:
        names = ", ".join(name for name, _ in present)
        raise IdentityError(
            f"Only one of the identity selectors may be given; the request has {names}.", code="selector"
        )
    if not present:
        return None
    name, value = present[0]
    if not value.strip():
        raise IdentityError(f"The identity selector '{name}' is empty.", code="selector")
    return Selector(aliases[name], value.strip())


# The caller's correlation id on the HTTP identity endpoints, as Azure SDKs and Logic Apps send it.
CORRELATION_HEADERS = ("x-ms-correlation-id", "x-ms-client-request-id")


def caller_correlation(headers: Mapping[str, str]) -> str | None:
    """The request's correlation id for the log line (one printable token, bounded), or None."""
    for name in CORRELATION_HEADERS:
        value = "".join(c for c in str(headers.get(name) or "") if c.isprintable() and not c.isspace())[:128]
        if value:
            return value
    return None


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class IdentityHosts:
    """Host records (opaque id; the secret is derived) and the identities each host's ARM body grants it."""

    def __init__(self, store: Store, directory: Directory, resources: ResourceStore, tokens: TokenService) -> None:
        self.store = store
        self.directory = directory
        self.resources = resources
        self.tokens = tokens
        # Host records never change once made, so hits are kept for good; misses always ask the store.
        self._by_digest: dict[str, Host] = {}
        self._by_id: dict[str, IdentityHost] = {}
        # identities() per host, until the directory or the resources change here, or READ_CACHE_SECONDS pass
        # (another node sharing the store may have changed them).
        self._identities: dict[str, tuple[tuple[int, int], float, list[HostIdentity]]] = {}

    def _secret(self, host_id: str) -> str:
        """The host's secret, derived from the instance's master key: it never sits in a row or a SQL parameter
        (where a DEBUG log of the driver could show it), and the same data dir always gives the same one."""
        instance = self.directory.instance
        assert instance is not None and instance.master_key
        return b64url(hmac.new(instance.master_key, f"identity-host:{host_id}".encode(), hashlib.sha256).digest())

    def _host(self, row: IdentityHost) -> Host:
        return Host(row.host_id, row.resource_id, self._secret(row.host_id))

    async def ensure(self, resource_id: str) -> Host:
        """The host record for `resource_id`, made on first use."""
        found = await self._by_resource(resource_id)
        if found is not None:
            return found
        host_id = opaque_id(16)
        row = IdentityHost(
            host_id=host_id,
            resource_key=resource_id.lower(),
            resource_id=resource_id,
            secret="",  # derived, see _secret
            secret_sha256=secret_digest(self._secret(host_id)),
        )
        try:
            async with self.store.transaction() as session:
                session.add(row)
        except IntegrityError:
            # Another request made it first; theirs stands.
            found = await self._by_resource(resource_id)
            if found is None:
                raise
            return found
        return self._host(row)

    async def _by_resource(self, resource_id: str) -> Host | None:
        async with self.store.session() as session:
            row = await session.scalar(select(IdentityHost).where(IdentityHost.resource_key == resource_id.lower()))
        return self._host(row) if row else None

    async def by_secret(self, secret: str) -> Host | None:
        """The host whose secret this is (the IMDS path segment); the digest is compared in constant time."""
        digest = secret_digest(secret)
        cached = self._by_digest.get(digest)
        if cached is not None:
            return cached
        async with self.store.session() as session:
            row = await session.scalar(select(IdentityHost).where(IdentityHost.secret_sha256 == digest))
        if row is None or not hmac.compare_digest(row.secret_sha256, digest):
            return None
        host = self._by_digest[digest] = self._host(row)
        return host

    async def authenticate(self, host_id: str, secret: str | None) -> Host | None:
        """The host `host_id` if `secret` is its secret (App Service's X-IDENTITY-HEADER), else None."""
        row = self._by_id.get(host_id)
        if row is None:
            async with self.store.session() as session:
                row = await session.get(IdentityHost, host_id)
            if row is not None:
                self._by_id[host_id] = row
        presented = secret_digest(secret or "")
        # Compare even when the host is unknown, so timing does not tell which host ids exist.
        expected = row.secret_sha256 if row is not None else secret_digest(opaque_id(32))
        if not hmac.compare_digest(expected, presented) or row is None or not secret:
            return None
        return self._host(row)

    async def identities(self, resource_id: str) -> list[HostIdentity]:
        """What the host's ARM body grants it: system-assigned first, then user-assigned in body order.

        A user-assigned identity used as a host (its own code, `keyless identity env <uami id>`) has itself.
        """
        key = resource_id.lower()
        stamp = (self.directory.generation, self.resources.generation)
        cached = self._identities.get(key)
        if cached is not None and cached[0] == stamp and cached[1] > clock.now():
            return cached[2]
        found = await self._load_identities(resource_id)
        if stamp == (self.directory.generation, self.resources.generation):
            self._identities[key] = (stamp, clock.now() + READ_CACHE_SECONDS, found)
        return found

    async def _load_identities(self, resource_id: str) -> list[HostIdentity]:
        body = await self.resources.get(resource_id)
        if body is None:
            return []
        if str(body.get("type", "")).lower() == UAMI_TYPE:
            own = await self.directory.managed_identity(resource_id)
            return [HostIdentity("UserAssigned", str(body.get("id") or resource_id), own, own=True)] if own else []
        block = body.get("identity")
        if not isinstance(block, dict):
            return []
        kinds = {k.strip().lower() for k in str(block.get("type") or "").split(",")}
        found: list[HostIdentity] = []
        if "systemassigned" in kinds:
            system = await self.directory.managed_identity(resource_id)
            if system is not None:
                found.append(HostIdentity("SystemAssigned", str(body.get("id") or resource_id), system, own=True))
        user_assigned = block.get("userAssignedIdentities")
        if "userassigned" in kinds and isinstance(user_assigned, dict):
            for uami_id in user_assigned:
                principal = await self.directory.managed_identity(uami_id)
                if principal is not None:
                    found.append(HostIdentity("UserAssigned", uami_id, principal))
        return found

    async def token(
        self,
        resource_id: str,
        resource: str,
        selector: Selector | None,
        *,
        sole_user_assigned_default: bool = True,
        bypass_cache: bool = False,
        correlation_id: str | None = None,
    ) -> tuple[HostIdentity, IssuedToken]:
        """A token for the host's chosen identity; raises IdentityError or the token service's AadstsError.

        `correlation_id` (the caller's, e.g. a workflow run's `x-ms-correlation-id`) goes on the log line."""
        try:
            identity = choose(await self.identities(resource_id), selector, sole_user_assigned_default)
        except IdentityError as exc:
            log_refused(f"host {resource_id}", resource, f"{exc.code}: {exc.message}", correlation_id)
            raise
        issued = await self.tokens.managed_identity_token(
            identity.principal, resource, bypass_cache=bypass_cache, correlation_id=correlation_id
        )
        return identity, issued


def choose(
    identities: list[HostIdentity], selector: Selector | None, sole_user_assigned_default: bool = True
) -> HostIdentity:
    """A selector picks exactly that identity. Without one: the host's own identity; else (IMDS only) the one
    user-assigned identity; App Service, which has no such rule, and several user-assigned ones need a selector."""
    if selector is None:
        own = [i for i in identities if i.own]
        if own:
            return own[0]
        if not identities:
            raise IdentityError("The host has no managed identity.", code="not_found")
        if len(identities) == 1 and sole_user_assigned_default:
            return identities[0]
        raise IdentityError(
            "The host has user-assigned identities only and the request has no selector.", code="ambiguous"
        )
    wanted = selector.value.lower()
    for identity in identities:
        if selector.kind == "client_id" and identity.client_id.lower() == wanted:
            return identity
        if selector.kind == "object_id" and identity.principal_id.lower() == wanted:
            return identity
        if (
            selector.kind == "resource_id"
            and identity.kind == "UserAssigned"
            and identity.resource_id.lower() == wanted
        ):
            return identity
    raise IdentityError(f"No identity on the host matches {selector.kind} '{selector.value}'.", code="not_found")
