"""OpenID metadata and JWKS for validate-jwt and validate-azure-ad-token, cached as APIM caches them.

A document and its keys are fetched together and kept for an hour. A token whose `kid` is not among the
cached keys forces a refresh, at most once every five minutes per URL. A failed fetch keeps the keys
already held. Every URL goes through the host aliases, so `https://login.microsoftonline.com/…` reaches
keyless's own identity service; the HTTP session (the gateway's, trusting keyless's CA) does the TLS.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from keyless.gateway.jwt_validation import SigningKey, jwks_keys

REFRESH_SECONDS = 3600.0
FORCED_REFRESH_SECONDS = 300.0
FETCH_TIMEOUT_SECONDS = 10.0
# With nothing cached, a failed fetch is not retried for this long (requests fail fast meanwhile).
RETRY_SECONDS = 5.0
MAX_DOCUMENT_BYTES = 1 << 20


class MetadataError(Exception):
    """No usable document for a URL (never fetched successfully); `message` is IdentityModel-like."""

    def __init__(self, url: str, detail: str) -> None:
        super().__init__(detail)
        self.url = url
        self.message = f"IDX20803: Unable to obtain configuration from: '{url}'."
        self.detail = detail


@dataclass(frozen=True)
class OpenIdMetadata:
    url: str
    issuer: str
    jwks_uri: str
    keys: tuple[SigningKey, ...]
    fetched_at: float


@dataclass
class _Entry:
    metadata: OpenIdMetadata | None = None
    last_attempt: float = float("-inf")
    last_forced: float = float("-inf")
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    error: str = ""


class OpenIdCache:
    """Per-URL metadata + keys. `get(url, http, aliases)`; `get(..., kid=…)` refreshes when the kid is unknown."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._entries: dict[str, _Entry] = {}
        self.fetches = 0  # documents fetched (metadata + keys count as one), for tests and metrics

    async def get(self, url: str, http: Any, aliases: Any, *, kid: str | None = None) -> OpenIdMetadata:
        entry = self._entries.get(url)
        if entry is None:
            entry = self._entries[url] = _Entry()
        held = entry.metadata
        if held is not None and not self._due(entry, held, self.clock(), kid):
            return held
        async with entry.lock:
            # Another request may have fetched (or failed to) while this one waited.
            now = self.clock()
            held = entry.metadata
            if held is not None and not self._due(entry, held, now, kid):
                return held
            if held is None and entry.error and now - entry.last_attempt < RETRY_SECONDS:
                raise MetadataError(url, entry.error)
            if held is not None and now - held.fetched_at < REFRESH_SECONDS:
                entry.last_forced = now  # an unknown kid forced this refresh
            entry.last_attempt = now
            try:
                entry.metadata = await self._fetch(url, http, aliases, now)
                entry.error = ""
            except (TimeoutError, MetadataError, OSError, ValueError) as exc:
                entry.error = getattr(exc, "detail", None) or str(exc) or type(exc).__name__
                if held is None:
                    raise exc if isinstance(exc, MetadataError) else MetadataError(url, entry.error) from exc
            assert entry.metadata is not None
            return entry.metadata

    @staticmethod
    def _due(entry: _Entry, held: OpenIdMetadata, now: float, kid: str | None) -> bool:
        """Whether to fetch again: stale (failed refreshes retried every 5 min), or an unknown kid (every 5 min)."""
        if now - held.fetched_at >= REFRESH_SECONDS:
            return now - entry.last_attempt >= FORCED_REFRESH_SECONDS
        if kid is not None and all(k.kid != kid for k in held.keys):
            return now - entry.last_forced >= FORCED_REFRESH_SECONDS
        return False

    async def _fetch(self, url: str, http: Any, aliases: Any, now: float) -> OpenIdMetadata:
        config = await _get_json(http, aliases.resolve(url), url)
        issuer = config.get("issuer")
        jwks_uri = config.get("jwks_uri")
        if not isinstance(issuer, str) or not isinstance(jwks_uri, str):
            raise MetadataError(url, "the document has no 'issuer' or 'jwks_uri'")
        keys = jwks_keys(await _get_json(http, aliases.resolve(jwks_uri), jwks_uri), f"openid-config {url}")
        self.fetches += 1
        return OpenIdMetadata(url, issuer, jwks_uri, tuple(keys), now)

    def error(self, url: str) -> str:
        entry = self._entries.get(url)
        return entry.error if entry else ""


async def _get_json(http: Any, target: str, named: str) -> dict[str, Any]:
    try:
        async with http.get(
            target, timeout=aiohttp.ClientTimeout(total=FETCH_TIMEOUT_SECONDS), allow_redirects=False
        ) as response:
            if response.status != 200:
                raise MetadataError(named, f"GET {named} answered {response.status}")
            body = await response.content.read(MAX_DOCUMENT_BYTES + 1)
    except aiohttp.ClientError as exc:
        raise MetadataError(named, f"GET {named} failed: {exc}") from exc
    if len(body) > MAX_DOCUMENT_BYTES:
        raise MetadataError(named, f"GET {named}: the document is larger than {MAX_DOCUMENT_BYTES} bytes")
    try:
        value = json.loads(body)
    except ValueError as exc:
        raise MetadataError(named, f"GET {named}: not JSON") from exc
    if not isinstance(value, dict):
        raise MetadataError(named, f"GET {named}: not a JSON object")
    return value
